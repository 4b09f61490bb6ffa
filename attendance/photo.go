package attendance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/media"
	"github.com/dakahq/daka/org"
)

// Photo statuses.
const (
	PhotoUploading = "uploading" // a direct-upload URL was handed out; not completed yet
	PhotoReady     = "ready"     // processed and stored
	PhotoFailed    = "failed"    // refused; FailureCode says why
)

// Photo defaults; see PhotoOptions.
const (
	DefaultPhotoMaxBytes     = 15 << 20
	DefaultPhotoQueueWait    = 2 * time.Second
	DefaultPhotoReuseWindow  = 30 * 24 * time.Hour
	DefaultPhotoURLTTL       = 5 * time.Minute
	DefaultPhotoUploadURLTTL = 15 * time.Minute
	DefaultPhotoAbandonAfter = 24 * time.Hour
	DefaultPhotoRetryWindow  = 15 * time.Minute
	// photoBusyRetry is the Retry-After of a busy answer: about the time one
	// 12 MP photo takes to process.
	photoBusyRetry = 2 * time.Second
)

// PhotoOptions bound and tune photo evidence. Zero fields take defaults.
type PhotoOptions struct {
	// MaxBytes caps one upload, counted while reading (default 15 MiB). It
	// overrides Limits.MaxBytes.
	MaxBytes int64
	// Limits are the pipeline's other bounds (pixels, decode budget, sizes).
	Limits media.Limits
	// Concurrency is how many photos are processed at once (default
	// GOMAXPROCS). One 12 MP photo needs about 50 MiB and 0.6 s of one core.
	Concurrency int
	// QueueWait is how long an upload waits for a free processing slot before
	// it is refused with 503 busy (default 2 s).
	QueueWait time.Duration
	// ReuseWindow is how far back the near-duplicate scan looks (default 30
	// days). Exact duplicates are found among all retained photos.
	ReuseWindow time.Duration
	// ReuseMaxDistance is the largest perceptual-hash distance counted as the
	// same photo (default media.PHashSameImage).
	ReuseMaxDistance int
	// URLTTL is the lifetime of signed viewing URLs (default 5 min).
	URLTTL time.Duration
	// UploadURLTTL is the lifetime of a direct-upload URL (default 15 min).
	UploadURLTTL time.Duration
	// AbandonAfter is how long after its URL expired an uncompleted direct
	// upload is dropped by the retention job (default 24 h).
	AbandonAfter time.Duration
	// RetryWindow is how long a multipart re-upload of the same bytes by the
	// same employee returns the photo already stored instead of a new one
	// (default 15 min), so an app retrying after a lost response does not
	// create a "reused" photo.
	RetryWindow time.Duration
}

func (o PhotoOptions) withDefaults() PhotoOptions {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultPhotoMaxBytes
	}
	o.Limits.MaxBytes = o.MaxBytes
	if o.Concurrency <= 0 {
		o.Concurrency = runtime.GOMAXPROCS(0)
	}
	if o.QueueWait <= 0 {
		o.QueueWait = DefaultPhotoQueueWait
	}
	if o.ReuseWindow <= 0 {
		o.ReuseWindow = DefaultPhotoReuseWindow
	}
	if o.ReuseMaxDistance <= 0 {
		o.ReuseMaxDistance = media.PHashSameImage
	}
	if o.URLTTL <= 0 {
		o.URLTTL = DefaultPhotoURLTTL
	}
	if o.UploadURLTTL <= 0 {
		o.UploadURLTTL = DefaultPhotoUploadURLTTL
	}
	if o.AbandonAfter <= 0 {
		o.AbandonAfter = DefaultPhotoAbandonAfter
	}
	if o.RetryWindow <= 0 {
		o.RetryWindow = DefaultPhotoRetryWindow
	}
	return o
}

// photoState is the Service's photo machinery: the store and the slots that
// bound how many Process calls run at once (each holds tens of MiB).
type photoState struct {
	store media.Store
	o     PhotoOptions
	slots chan struct{}
}

func newPhotoState(store media.Store, o PhotoOptions) photoState {
	o = o.withDefaults()
	return photoState{store: store, o: o, slots: make(chan struct{}, o.Concurrency)}
}

// Photo is one photo's evidence record.
type Photo struct {
	ID, TenantID, EmployeeID uuid.UUID
	// Status is PhotoUploading, PhotoReady or PhotoFailed.
	Status string
	// FailureCode is the error code that refused a failed photo.
	FailureCode *string
	// Format is the sniffed input type (jpeg, png, webp); Width and Height
	// the upright original's size; Bytes the original's size.
	Format        string
	Width, Height int
	Bytes         int64
	// SHA256 is the digest of the original bytes.
	SHA256 []byte
	// PHashes are the perceptual hashes of the upright image and of it turned
	// by 90, 180 and 270 degrees.
	PHashes [4]uint64
	// EXIF holds the claims the original carried.
	EXIF PhotoEXIF
	// Reuse names the earlier photo this one repeats, if any.
	Reuse *PhotoReuse
	// CreatedAt is when the photo (or its upload URL) was created, CompletedAt
	// when it was processed or refused.
	CreatedAt   time.Time
	CompletedAt *time.Time
	// ExpiresAt is when retention deletes the photo; DeletedAt when it did.
	ExpiresAt time.Time
	DeletedAt *time.Time

	uploadKey, uploadCT        string
	uploadSize                 int64
	uploadExpires              *time.Time
	normKey, thumbKey, origKey string
}

// PhotoEXIF is what a photo's EXIF claimed (media.EXIF without orientation).
type PhotoEXIF struct {
	// CaptureTime is an instant when CaptureOffsetKnown; otherwise the
	// camera's wall clock expressed in UTC (read it in the site's zone).
	CaptureTime        *time.Time
	CaptureOffsetKnown bool
	GPS                *media.GPS
	Make, Model        string
	Software           string
}

// Empty reports whether the photo carried no EXIF this package keeps.
func (e PhotoEXIF) Empty() bool {
	return e.CaptureTime == nil && e.GPS == nil && e.Make == "" && e.Model == "" && e.Software == ""
}

// PhotoReuse says a photo repeats an earlier one of the same tenant.
type PhotoReuse struct {
	// Of is the earlier photo.
	Of uuid.UUID
	// Distance is the perceptual-hash distance (0 for exact copies), the
	// smallest over the earlier photo's four rotations.
	Distance int
	// Exact means the same bytes (SHA-256).
	Exact bool
	// SameEmployee means the earlier photo was uploaded by the same employee.
	SameEmployee bool
}

// PhotoURLs are short-lived signed URLs to a photo's derivatives.
type PhotoURLs struct {
	URL, ThumbnailURL string
	ExpiresAt         time.Time
}

// PhotoUpload is a direct-upload slot: PUT the bytes to URL with Method and
// Headers before ExpiresAt, then complete PhotoID.
type PhotoUpload struct {
	PhotoID   uuid.UUID
	URL       string
	Method    string
	Headers   map[string]string
	ExpiresAt time.Time
}

// PhotoEvidence is what the punch path needs to know about an attached
// photo: the EXIF claims and whether the photo repeats an earlier one.
type PhotoEvidence struct {
	PhotoID uuid.UUID
	// ReceivedAt is when the server accepted the photo.
	ReceivedAt time.Time
	// CaptureTime, CaptureOffsetKnown, GPS, Make, Model and Software are
	// EXIF claims (see PhotoEXIF).
	CaptureTime        *time.Time
	CaptureOffsetKnown bool
	GPS                *media.GPS
	Make, Model        string
	Software           string
	// Reuse is set when the photo repeats an earlier one.
	Reuse *PhotoReuse
}

// uploadContentTypes are what a direct upload may declare.
var uploadContentTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/webp": true}

// originalTypes maps a sniffed format to the MIME type of a kept original.
var originalTypes = map[string]string{media.FormatJPEG: "image/jpeg", media.FormatPNG: "image/png", media.FormatWebP: "image/webp"}

// PhotoMaxBytes is the largest accepted upload.
func (s *Service) PhotoMaxBytes() int64 { return s.ph.o.MaxBytes }

func (s *Service) photoNow() time.Time { return s.o.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) photosEnabled() error {
	if s.ph.store == nil {
		return errs.New(errs.Unavailable, "photos_unavailable", "photo storage is not configured on this server")
	}
	return nil
}

// UploadPhoto reads one photo from r (at most PhotoMaxBytes), processes it,
// stores its derivatives and records it as the actor's. It reports whether
// the photo was created now: false means the actor uploaded the same bytes
// within RetryWindow, and that photo is returned instead.
func (s *Service) UploadPhoto(ctx context.Context, a org.Actor, r io.Reader) (Photo, bool, error) {
	if err := s.photosEnabled(); err != nil {
		return Photo{}, false, err
	}
	data, err := readPhoto(r, s.ph.o.MaxBytes)
	if err != nil {
		return Photo{}, false, err
	}
	id, _ := uuid.NewV7()
	now := s.photoNow()
	p := Photo{ID: id, TenantID: a.TenantID, EmployeeID: a.EmployeeID, CreatedAt: now}
	replay, err := s.accept(ctx, &p, data, now, true)
	if err != nil {
		return Photo{}, false, err
	}
	if replay != nil {
		prev, err := s.photoByID(ctx, a.TenantID, *replay, &a.EmployeeID)
		return prev, false, err
	}
	if _, err := s.writePhoto(ctx, p); err != nil {
		s.deleteObjects(context.WithoutCancel(ctx), p.normKey, p.thumbKey, p.origKey)
		return Photo{}, false, err
	}
	return p, true, nil
}

// CreatePhotoUpload hands out a signed URL the app PUTs the photo to
// directly (S3, or the local store's handler), for CompletePhotoUpload.
func (s *Service) CreatePhotoUpload(ctx context.Context, a org.Actor, contentType string, size int64) (PhotoUpload, error) {
	if err := s.photosEnabled(); err != nil {
		return PhotoUpload{}, err
	}
	if !uploadContentTypes[contentType] {
		return PhotoUpload{}, errs.FieldErr("content_type", "invalid_enum", "send image/jpeg, image/png or image/webp")
	}
	if size <= 0 {
		return PhotoUpload{}, errs.FieldErr("size", "out_of_range", "size must be positive")
	}
	if size > s.ph.o.MaxBytes {
		return PhotoUpload{}, errs.New(errs.TooLarge, "image_too_large", "photos may be at most %d bytes", s.ph.o.MaxBytes)
	}
	id, _ := uuid.NewV7()
	now := s.photoNow()
	exp := now.Add(s.ph.o.UploadURLTTL)
	key := fmt.Sprintf("uploads/%s/%s", a.TenantID, id)
	var days int
	if err := s.pool.QueryRow(ctx, `SELECT photo_retention_days FROM tenants WHERE id = $1`, a.TenantID).Scan(&days); err != nil {
		return PhotoUpload{}, fmt.Errorf("create photo upload: %w", err)
	}
	url, err := s.ph.store.SignedPutURL(ctx, key, s.ph.o.UploadURLTTL, contentType)
	if err != nil {
		return PhotoUpload{}, fmt.Errorf("create photo upload: %w", err)
	}
	p := Photo{ID: id, TenantID: a.TenantID, EmployeeID: a.EmployeeID, Status: PhotoUploading, CreatedAt: now,
		ExpiresAt: now.AddDate(0, 0, days), uploadKey: key, uploadCT: contentType, uploadSize: size, uploadExpires: &exp}
	if _, err := s.writePhoto(ctx, p); err != nil {
		return PhotoUpload{}, err
	}
	return PhotoUpload{PhotoID: id, URL: url, Method: "PUT", Headers: map[string]string{"Content-Type": contentType}, ExpiresAt: exp}, nil
}

// CompletePhotoUpload processes a directly uploaded photo exactly like
// UploadPhoto and deletes the raw upload. Completing a photo again returns
// the same outcome; another employee's photo is not found.
func (s *Service) CompletePhotoUpload(ctx context.Context, a org.Actor, id uuid.UUID) (Photo, error) {
	if err := s.photosEnabled(); err != nil {
		return Photo{}, err
	}
	p, err := s.photoByID(ctx, a.TenantID, id, &a.EmployeeID)
	if err != nil {
		return Photo{}, err
	}
	switch {
	case p.DeletedAt != nil:
		return Photo{}, errs.New(errs.Gone, "photo_deleted", "the photo was deleted under the retention policy")
	case p.Status == PhotoReady:
		return p, nil
	case p.Status == PhotoFailed:
		return Photo{}, refusalFor(p.FailureCode)
	}
	data, err := s.fetchUpload(ctx, p)
	if err == nil {
		now := s.photoNow()
		if _, err = s.accept(ctx, &p, data, now, false); err == nil {
			return s.finishUpload(ctx, p)
		}
	}
	code := errs.CodeOf(err)
	if refusals[code] != nil {
		s.failUpload(ctx, p, code)
	}
	if code == "upload_missing" {
		// A concurrent completion may have finished and deleted the raw
		// upload since the row was read: answer what it recorded.
		cur, rerr := s.photoByID(ctx, a.TenantID, id, &a.EmployeeID)
		switch {
		case rerr != nil:
		case cur.Status == PhotoReady:
			return cur, nil
		case cur.Status == PhotoFailed:
			return Photo{}, refusalFor(cur.FailureCode)
		}
	}
	return Photo{}, err
}

// fetchUpload reads the raw direct upload, refusing a missing or oversized
// object before reading it.
func (s *Service) fetchUpload(ctx context.Context, p Photo) ([]byte, error) {
	info, err := s.ph.store.Stat(ctx, p.uploadKey)
	if errors.Is(err, media.ErrObjectNotFound) {
		return nil, errs.New(errs.Conflict, "upload_missing", "nothing has been uploaded to the upload URL yet")
	}
	if err != nil {
		return nil, fmt.Errorf("complete photo upload: %w", err)
	}
	if info.Size > s.ph.o.MaxBytes {
		tooLarge := "image_too_large"
		return nil, refusalFor(&tooLarge)
	}
	rc, err := s.ph.store.Get(ctx, p.uploadKey)
	if err != nil {
		return nil, fmt.Errorf("complete photo upload: %w", err)
	}
	defer rc.Close()
	data, err := readPhoto(rc, s.ph.o.MaxBytes)
	if err != nil && errs.CodeOf(err) == "malformed_request" {
		return nil, fmt.Errorf("complete photo upload: %w", err) // the store failed mid-read, not the client
	}
	return data, err
}

// finishUpload records the processed upload, unless a concurrent completion
// won the race, and deletes the raw upload.
func (s *Service) finishUpload(ctx context.Context, p Photo) (Photo, error) {
	won, err := s.writePhoto(ctx, p)
	if err != nil {
		s.deleteObjects(context.WithoutCancel(ctx), p.normKey, p.thumbKey, p.origKey)
		return Photo{}, err
	}
	// A raw upload that cannot be deleted now is deleted with the photo by
	// the retention job, which removes every key the row names.
	s.deleteObjects(context.WithoutCancel(ctx), p.uploadKey)
	if !won {
		return s.photoByID(ctx, p.TenantID, p.ID, &p.EmployeeID)
	}
	return p, nil
}

// failUpload records why a direct upload was refused and deletes its bytes,
// so completing it again gives the same answer without reprocessing.
func (s *Service) failUpload(ctx context.Context, p Photo, code string) {
	ctx = context.WithoutCancel(ctx)
	_, _ = s.pool.Exec(ctx, `UPDATE photos SET status = 'failed', failure_code = $3, completed_at = $4
		WHERE tenant_id = $1 AND id = $2 AND status = 'uploading'`, p.TenantID, p.ID, code, s.photoNow())
	s.deleteObjects(ctx, p.uploadKey)
}

// MyPhoto returns one of the actor's own photos with signed URLs (nil
// unless the photo is ready and retained).
func (s *Service) MyPhoto(ctx context.Context, a org.Actor, id uuid.UUID) (Photo, *PhotoURLs, error) {
	p, err := s.photoByID(ctx, a.TenantID, id, &a.EmployeeID)
	if err != nil {
		return Photo{}, nil, err
	}
	urls, err := s.photoURLs(ctx, p)
	return p, urls, err
}

// GetPhoto returns a photo the actor may see (admins: the tenant's;
// managers: their subtree's, themselves included) with signed URLs.
// Employees use MyPhoto.
func (s *Service) GetPhoto(ctx context.Context, a org.Actor, id uuid.UUID) (Photo, *PhotoURLs, error) {
	if a.Role == org.RoleEmployee {
		return Photo{}, nil, errs.New(errs.Forbidden, "forbidden", "your role does not allow this")
	}
	p, err := s.photoByID(ctx, a.TenantID, id, nil)
	if err != nil {
		return Photo{}, nil, err
	}
	if !a.IsAdmin() {
		ids, _, err := s.org.VisibleEmployees(ctx, a)
		if err != nil {
			return Photo{}, nil, err
		}
		visible := false
		for _, e := range ids {
			visible = visible || e == p.EmployeeID
		}
		if !visible {
			return Photo{}, nil, errPhotoNotFound()
		}
	}
	urls, err := s.photoURLs(ctx, p)
	return p, urls, err
}

// PhotoEvidence returns the facts the punch path records about a photo the
// employee attaches. A photo that does not exist, belongs to someone else,
// was refused, is not completed or was deleted cannot be attached: the error
// is Invalid with code photo_not_found (photo_not_ready while uploading) on
// field photo_id.
func (s *Service) PhotoEvidence(ctx context.Context, tenant, employee, photoID uuid.UUID) (PhotoEvidence, error) {
	p, err := s.photoByID(ctx, tenant, photoID, &employee)
	switch {
	case errs.KindOf(err) == errs.NotFound:
		return PhotoEvidence{}, photoFieldErr("photo_not_found", "no photo of yours has this id")
	case err != nil:
		return PhotoEvidence{}, err
	case p.Status == PhotoUploading:
		return PhotoEvidence{}, photoFieldErr("photo_not_ready", "complete the photo upload before attaching it")
	case p.Status != PhotoReady || p.DeletedAt != nil:
		return PhotoEvidence{}, photoFieldErr("photo_not_found", "this photo was refused or deleted and cannot be attached")
	}
	ev := PhotoEvidence{PhotoID: p.ID, ReceivedAt: p.CreatedAt, CaptureTime: p.EXIF.CaptureTime,
		CaptureOffsetKnown: p.EXIF.CaptureOffsetKnown, GPS: p.EXIF.GPS, Make: p.EXIF.Make, Model: p.EXIF.Model,
		Software: p.EXIF.Software, Reuse: p.Reuse}
	if p.CompletedAt != nil {
		ev.ReceivedAt = *p.CompletedAt
	}
	return ev, nil
}

func photoFieldErr(code, msg string) error {
	return &errs.Error{Kind: errs.Invalid, Code: code, Msg: "photo_id: " + msg,
		Fields: []errs.Field{{Field: "photo_id", Code: code, Message: msg}}}
}

func errPhotoNotFound() error { return errs.New(errs.NotFound, "not_found", "photo not found") }

// photoURLs signs viewing URLs for a ready, retained photo.
func (s *Service) photoURLs(ctx context.Context, p Photo) (*PhotoURLs, error) {
	if p.Status != PhotoReady || p.DeletedAt != nil || s.ph.store == nil {
		return nil, nil
	}
	ttl := s.ph.o.URLTTL
	u := &PhotoURLs{ExpiresAt: s.photoNow().Add(ttl).Truncate(time.Second)}
	var err error
	if u.URL, err = s.ph.store.SignedGetURL(ctx, p.normKey, ttl); err != nil {
		return nil, fmt.Errorf("sign photo url: %w", err)
	}
	if u.ThumbnailURL, err = s.ph.store.SignedGetURL(ctx, p.thumbKey, ttl); err != nil {
		return nil, fmt.Errorf("sign photo url: %w", err)
	}
	return u, nil
}

// accept runs the pipeline on data (in a processing slot), finds reuse,
// and stores the derivatives; it fills p for writePhoto. With allowReplay,
// an exact copy the same employee uploaded within RetryWindow is not stored
// again: accept returns that photo's id instead.
func (s *Service) accept(ctx context.Context, p *Photo, data []byte, now time.Time, allowReplay bool) (*uuid.UUID, error) {
	var pr *media.Processed
	err := s.inSlot(ctx, func() error {
		var err error
		pr, err = media.Process(bytes.NewReader(data), s.ph.o.Limits)
		return err
	})
	if err != nil {
		return nil, refusal(err)
	}
	// The photo's own row, if any, is still uploading, so it never matches.
	pol, err := s.reuseAndPolicy(ctx, p.TenantID, p.EmployeeID, pr, now)
	if err != nil {
		return nil, err
	}
	if r := pol.reuse; allowReplay && r != nil && r.Exact && r.SameEmployee && !pol.reuseAt.Before(now.Add(-s.ph.o.RetryWindow)) {
		return &r.Of, nil
	}
	prefix := fmt.Sprintf("photos/%s/%s/", p.TenantID, p.ID)
	p.normKey, p.thumbKey = prefix+"normalized.jpg", prefix+"thumb.jpg"
	objs := []struct {
		key, ct string
		b       []byte
	}{{p.normKey, media.ContentType, pr.Normalized}, {p.thumbKey, media.ContentType, pr.Thumbnail}}
	if pol.keepOriginal {
		p.origKey = prefix + "original." + pr.Format
		objs = append(objs, struct {
			key, ct string
			b       []byte
		}{p.origKey, originalTypes[pr.Format], data})
	}
	for i, o := range objs {
		if err := s.ph.store.Put(ctx, o.key, bytes.NewReader(o.b), int64(len(o.b)), o.ct); err != nil {
			for _, done := range objs[:i] {
				s.deleteObjects(context.WithoutCancel(ctx), done.key)
			}
			return nil, fmt.Errorf("store photo: %w", err)
		}
	}
	p.Status, p.Format, p.Width, p.Height, p.Bytes = PhotoReady, pr.Format, pr.Width, pr.Height, int64(len(data))
	p.SHA256, p.PHashes = pr.SHA256[:], pr.PHashRotations
	p.EXIF = PhotoEXIF{CaptureTime: pr.EXIF.CaptureTime, CaptureOffsetKnown: pr.EXIF.CaptureOffsetKnown, GPS: pr.EXIF.GPS,
		Make: pr.EXIF.Make, Model: pr.EXIF.Model, Software: pr.EXIF.Software}
	p.Reuse, p.CompletedAt = pol.reuse, &now
	if p.ExpiresAt.IsZero() {
		p.ExpiresAt = now.AddDate(0, 0, pol.retentionDays)
	}
	return nil, nil
}

// inSlot runs fn in one of the processing slots, waiting at most QueueWait
// for one; a full house is 503 busy with a Retry-After, so load beyond the
// CPUs turns into client retries instead of memory.
func (s *Service) inSlot(ctx context.Context, fn func() error) error {
	select {
	case s.ph.slots <- struct{}{}:
	default:
		t := time.NewTimer(s.ph.o.QueueWait)
		defer t.Stop()
		select {
		case s.ph.slots <- struct{}{}:
		case <-t.C:
			return &errs.Error{Kind: errs.Unavailable, Code: "busy", RetryAfter: photoBusyRetry,
				Msg: "the server is processing too many photos; retry shortly"}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer func() { <-s.ph.slots }()
	return fn()
}

type photoPolicy struct {
	keepOriginal  bool
	retentionDays int
	reuse         *PhotoReuse
	reuseAt       time.Time // when the repeated photo was created
}

// reuseAndPolicy reads the tenant's photo policy and the earlier photo this
// one repeats, in one round trip: an exact copy among all retained photos
// (sha256 index), else the nearest perceptual match within ReuseWindow. The
// stored rotation hashes make a turned re-upload match too.
//
// The near scan computes the distance to every photo of the tenant in the
// window (photos_recent holds the hashes): about 1 µs per photo, fine for
// tens of thousands of photos a month; see docs/media.md beyond that.
func (s *Service) reuseAndPolicy(ctx context.Context, tenant, employee uuid.UUID, pr *media.Processed, now time.Time) (photoPolicy, error) {
	var pol photoPolicy
	var of, emp *uuid.UUID
	var dist *int
	var exact *bool
	var at *time.Time
	err := s.pool.QueryRow(ctx, `SELECT t.keep_photo_originals, t.photo_retention_days, r.id, r.employee_id, r.d, r.exact, r.created_at
		FROM tenants t LEFT JOIN LATERAL (
		  (SELECT p.id, p.employee_id, 0 AS d, true AS exact, p.created_at FROM photos p
		    WHERE p.tenant_id = t.id AND p.sha256 = $2 AND p.status = 'ready' AND p.deleted_at IS NULL
		    ORDER BY p.created_at DESC LIMIT 1)
		  UNION ALL
		  (SELECT c.id, c.employee_id, c.d, false, c.created_at FROM (
		     SELECT p.id, p.employee_id, p.created_at, LEAST(bit_count((p.phash # $3)::bit(64)), bit_count((p.phash_r90 # $3)::bit(64)),
		       bit_count((p.phash_r180 # $3)::bit(64)), bit_count((p.phash_r270 # $3)::bit(64)))::int AS d
		     FROM photos p WHERE p.tenant_id = t.id AND p.status = 'ready' AND p.deleted_at IS NULL AND p.created_at >= $4) c
		   WHERE c.d <= $5 ORDER BY c.d, c.created_at DESC LIMIT 1)
		  ORDER BY exact DESC LIMIT 1
		) r ON true
		WHERE t.id = $1`,
		tenant, pr.SHA256[:], int64(pr.PHash), now.Add(-s.ph.o.ReuseWindow), s.ph.o.ReuseMaxDistance,
	).Scan(&pol.keepOriginal, &pol.retentionDays, &of, &emp, &dist, &exact, &at)
	if err != nil {
		return pol, fmt.Errorf("photo reuse: %w", err)
	}
	if of != nil {
		pol.reuse = &PhotoReuse{Of: *of, Distance: *dist, Exact: *exact, SameEmployee: *emp == employee}
		pol.reuseAt = *at
	}
	return pol, nil
}

const photoCols = `id, tenant_id, employee_id, status, failure_code, upload_key, upload_content_type, upload_size, upload_expires_at,
	normalized_key, thumb_key, original_key, format, width, height, bytes, sha256, phash, phash_r90, phash_r180, phash_r270,
	capture_time, capture_offset_known, gps_lat, gps_lng, gps_alt_m, exif_make, exif_model, exif_software,
	reused_of, reuse_distance, reuse_exact, reuse_same_employee, created_at, completed_at, expires_at, deleted_at`

// writePhoto inserts p, or completes the uploading row with p's id. It
// reports false when the row was no longer uploading (a concurrent
// completion got there first) and nothing was written.
func (s *Service) writePhoto(ctx context.Context, p Photo) (bool, error) {
	nz := func(v string) *string {
		if v == "" {
			return nil
		}
		return &v
	}
	var format *string
	var width, height *int
	var size *int64
	var h [4]*int64
	if p.Status == PhotoReady {
		format, width, height, size = &p.Format, &p.Width, &p.Height, &p.Bytes
		for i, v := range p.PHashes {
			x := int64(v)
			h[i] = &x
		}
	}
	var lat, lng, alt *float64
	if g := p.EXIF.GPS; g != nil {
		lat, lng, alt = &g.Lat, &g.Lng, g.AltitudeM
	}
	var of *uuid.UUID
	var dist *int
	var exact, same *bool
	if r := p.Reuse; r != nil {
		of, dist, exact, same = &r.Of, &r.Distance, &r.Exact, &r.SameEmployee
	}
	var upSize *int64
	if p.uploadSize > 0 {
		upSize = &p.uploadSize
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO photos (`+photoCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
		$11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37)
		ON CONFLICT (tenant_id, id) DO UPDATE SET status = EXCLUDED.status, failure_code = EXCLUDED.failure_code,
		  normalized_key = EXCLUDED.normalized_key, thumb_key = EXCLUDED.thumb_key, original_key = EXCLUDED.original_key,
		  format = EXCLUDED.format, width = EXCLUDED.width, height = EXCLUDED.height, bytes = EXCLUDED.bytes, sha256 = EXCLUDED.sha256,
		  phash = EXCLUDED.phash, phash_r90 = EXCLUDED.phash_r90, phash_r180 = EXCLUDED.phash_r180, phash_r270 = EXCLUDED.phash_r270,
		  capture_time = EXCLUDED.capture_time, capture_offset_known = EXCLUDED.capture_offset_known,
		  gps_lat = EXCLUDED.gps_lat, gps_lng = EXCLUDED.gps_lng, gps_alt_m = EXCLUDED.gps_alt_m,
		  exif_make = EXCLUDED.exif_make, exif_model = EXCLUDED.exif_model, exif_software = EXCLUDED.exif_software,
		  reused_of = EXCLUDED.reused_of, reuse_distance = EXCLUDED.reuse_distance, reuse_exact = EXCLUDED.reuse_exact,
		  reuse_same_employee = EXCLUDED.reuse_same_employee, completed_at = EXCLUDED.completed_at
		WHERE photos.status = 'uploading' AND photos.employee_id = EXCLUDED.employee_id`,
		p.ID, p.TenantID, p.EmployeeID, p.Status, p.FailureCode, nz(p.uploadKey), nz(p.uploadCT), upSize, p.uploadExpires,
		nz(p.normKey), nz(p.thumbKey), nz(p.origKey), format, width, height, size, p.SHA256, h[0], h[1], h[2], h[3],
		p.EXIF.CaptureTime, p.EXIF.CaptureOffsetKnown, lat, lng, alt, p.EXIF.Make, p.EXIF.Model, p.EXIF.Software,
		of, dist, exact, same, p.CreatedAt, p.CompletedAt, p.ExpiresAt, p.DeletedAt)
	if err != nil {
		return false, fmt.Errorf("record photo: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// photoByID loads a photo of the tenant; with employee set, only that
// employee's. Anything else is not found.
func (s *Service) photoByID(ctx context.Context, tenant, id uuid.UUID, employee *uuid.UUID) (Photo, error) {
	p, err := scanPhoto(s.pool.QueryRow(ctx, `SELECT `+photoCols+` FROM photos
		WHERE tenant_id = $1 AND id = $2 AND ($3::uuid IS NULL OR employee_id = $3)`, tenant, id, employee))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, errPhotoNotFound()
	}
	if err != nil {
		return p, fmt.Errorf("load photo: %w", err)
	}
	return p, nil
}

func scanPhoto(r pgx.Row) (Photo, error) {
	var p Photo
	var upKey, upCT, normKey, thumbKey, origKey, format *string
	var upSize, size *int64
	var width, height *int
	var h [4]*int64
	var lat, lng, alt *float64
	var of *uuid.UUID
	var dist *int
	var exact, same *bool
	err := r.Scan(&p.ID, &p.TenantID, &p.EmployeeID, &p.Status, &p.FailureCode, &upKey, &upCT, &upSize, &p.uploadExpires,
		&normKey, &thumbKey, &origKey, &format, &width, &height, &size, &p.SHA256, &h[0], &h[1], &h[2], &h[3],
		&p.EXIF.CaptureTime, &p.EXIF.CaptureOffsetKnown, &lat, &lng, &alt, &p.EXIF.Make, &p.EXIF.Model, &p.EXIF.Software,
		&of, &dist, &exact, &same, &p.CreatedAt, &p.CompletedAt, &p.ExpiresAt, &p.DeletedAt)
	if err != nil {
		return p, err
	}
	str := func(v *string) string {
		if v == nil {
			return ""
		}
		return *v
	}
	p.uploadKey, p.uploadCT, p.normKey, p.thumbKey, p.origKey, p.Format = str(upKey), str(upCT), str(normKey), str(thumbKey), str(origKey), str(format)
	if upSize != nil {
		p.uploadSize = *upSize
	}
	if size != nil {
		p.Bytes = *size
	}
	if width != nil && height != nil {
		p.Width, p.Height = *width, *height
	}
	for i, v := range h {
		if v != nil {
			p.PHashes[i] = uint64(*v)
		}
	}
	if lat != nil && lng != nil {
		p.EXIF.GPS = &media.GPS{Lat: *lat, Lng: *lng, AltitudeM: alt}
	}
	if of != nil && dist != nil && exact != nil {
		p.Reuse = &PhotoReuse{Of: *of, Distance: *dist, Exact: *exact, SameEmployee: same != nil && *same}
	}
	return p, nil
}

// deleteObjects removes keys, ignoring empty ones; failures are left for the
// retention job, which deletes every key of an expired row.
func (s *Service) deleteObjects(ctx context.Context, keys ...string) error {
	var errsOut []error
	for _, k := range keys {
		if k == "" {
			continue
		}
		if err := s.ph.store.Delete(ctx, k); err != nil {
			errsOut = append(errsOut, fmt.Errorf("delete %s: %w", k, err))
		}
	}
	return errors.Join(errsOut...)
}

// readPhoto reads r to EOF, failing with image_too_large as soon as more
// than limit bytes arrive.
func readPhoto(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		if e, ok := errs.As(err); ok {
			return nil, e // e.g. the API's body limit
		}
		return nil, &errs.Error{Kind: errs.BadRequest, Code: "malformed_request", Msg: "the upload could not be read", Err: err}
	}
	if int64(len(data)) > limit {
		return nil, errs.New(errs.TooLarge, "image_too_large", "photos may be at most %d bytes", limit)
	}
	return data, nil
}

// refusals are the codes that refuse a photo for good, with their kinds and
// what to tell the app when a refused upload is completed again.
var refusals = map[string]*errs.Error{
	"unsupported_image_type": {Kind: errs.Unsupported, Msg: "the photo is not JPEG, PNG or WebP (HEIC is not accepted); capture or convert it to JPEG and upload it again"},
	"image_too_large":        {Kind: errs.TooLarge, Msg: "the photo is too large (bytes or pixels); downscale it and upload it again"},
	"image_too_small":        {Kind: errs.Invalid, Msg: "the photo is too small to serve as evidence"},
	"corrupt_image":          {Kind: errs.Invalid, Msg: "the photo cannot be decoded"},
	"upload_abandoned":       {Kind: errs.Gone, Msg: "the upload was not completed in time; start a new one"},
}

// refusalFor rebuilds the error of a stored failure code.
func refusalFor(code *string) error {
	c := "corrupt_image"
	if code != nil && refusals[*code] != nil {
		c = *code
	}
	r := refusals[c]
	return &errs.Error{Kind: r.Kind, Code: c, Msg: r.Msg}
}

// refusal maps the pipeline's sentinels to API errors; the messages are
// media's, which say what to send instead.
func refusal(err error) error {
	msg := strings.TrimPrefix(err.Error(), "media: ")
	var code string
	switch {
	case errors.Is(err, media.ErrUnsupportedType):
		code = "unsupported_image_type"
	case errors.Is(err, media.ErrTooLarge):
		code = "image_too_large"
	case errors.Is(err, media.ErrTooSmall):
		code = "image_too_small"
	case errors.Is(err, media.ErrCorrupt):
		code = "corrupt_image"
	default:
		if e, ok := errs.As(err); ok {
			return e
		}
		return fmt.Errorf("process photo: %w", err)
	}
	return &errs.Error{Kind: refusals[code].Kind, Code: code, Msg: msg, Err: err}
}
