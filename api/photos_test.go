package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disintegration/imaging"
	"github.com/google/uuid"

	"github.com/dakahq/daka/api"
	"github.com/dakahq/daka/attendance"
	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/internal/s3test"
	"github.com/dakahq/daka/internal/testdb"
	"github.com/dakahq/daka/media"
	"github.com/dakahq/daka/media/localstore"
	"github.com/dakahq/daka/media/mediatest"
	"github.com/dakahq/daka/media/s3store"
	"github.com/dakahq/daka/org"
)

// photoEnv is a test bundle whose attendance service stores photos, in a
// local folder (signed URLs served by the router under /v1/media/) or in a
// real S3 server.
type photoEnv struct {
	*testBundle
	att   *attendance.Service
	store media.Store
}

const photoBaseURL = "http://daka.test"

// newPhotoEnv builds the real router with photo storage. t is nil for
// benchmarks (responses are then not validated against the spec).
func newPhotoEnv(tb testing.TB, t *testing.T, o attendance.PhotoOptions, useS3 bool) *photoEnv {
	tb.Helper()
	pool := testdb.New(tb)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	// Tokens outlive the clock jumps of the retention tests.
	orgs, err := org.NewService(pool, org.Options{Now: clk.Now, JWTSecret: testSecret, DefaultTimezone: "Asia/Shanghai",
		AccessTTL: 1000 * 24 * time.Hour, PasswordHashCost: org.PasswordParams{MemoryKiB: 1024, Time: 1, Threads: 1}})
	if err != nil {
		tb.Fatal(err)
	}
	var store media.Store
	var handler http.Handler
	if useS3 {
		srv := s3test.Start(tb)
		s, err := s3store.New(context.Background(), s3store.Options{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey,
			SecretKey: srv.SecretKey, Bucket: srv.Bucket, Region: srv.Region, PathStyle: true})
		if err != nil {
			tb.Fatal(err)
		}
		store = s
	} else {
		s, err := localstore.New(localstore.Options{Dir: tb.TempDir(), BaseURL: photoBaseURL,
			SigningKey: []byte("photo-test-signing-key-0123456789abcdef"), MaxPutBytes: o.MaxBytes, Now: clk.Now})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = s.Close() })
		store, handler = s, s.Handler()
	}
	att := attendance.NewService(pool, orgs, attendance.Options{Now: clk.Now, Photos: store, PhotoOptions: o})
	e, err := api.New(api.Deps{Org: orgs, Attendance: att, Media: handler,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), QuietAccessLog: true})
	if err != nil {
		tb.Fatal(err)
	}
	doc, err := api.Spec()
	if err != nil {
		tb.Fatal(err)
	}
	router, err := api.NewRouter(doc)
	if err != nil {
		tb.Fatal(err)
	}
	b := &testBundle{t: t, tb: tb, e: e, pool: pool, org: orgs, router: router, clock: clk, noValidate: t == nil}
	return &photoEnv{testBundle: b, att: att, store: store}
}

// person is an employee of a test tenant, signed in.
type person struct {
	ID    string
	Token string
}

func (p *photoEnv) person(tn tenant, no string, fields map[string]any) person {
	p.tb.Helper()
	id := p.createEmployee(tn.Admin, no, fields)
	return person{ID: id, Token: p.login(tn.Slug, no, testPassword)}
}

// upload posts file as the multipart field "file".
func (p *photoEnv) upload(token string, file []byte) *resp {
	p.tb.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "photo.jpg")
	if err != nil {
		p.tb.Fatal(err)
	}
	_, _ = fw.Write(file)
	_ = mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/v1/me/photos", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return p.send(req)
}

// fetch GETs a signed URL of the local store through the router.
func (p *photoEnv) fetch(method, rawURL string, body []byte, headers ...string) *resp {
	p.tb.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, rawURL, rd)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return p.send(req)
}

// photoJSON is the Photo schema as the tests read it.
type photoJSON struct {
	ID          string     `json:"id"`
	EmployeeID  string     `json:"employee_id"`
	Status      string     `json:"status"`
	FailureCode *string    `json:"failure_code"`
	Format      *string    `json:"format"`
	Width       *int       `json:"width"`
	Height      *int       `json:"height"`
	Bytes       *int64     `json:"bytes"`
	SHA256      *string    `json:"sha256"`
	CreatedAt   time.Time  `json:"created_at"`
	CompletedAt *time.Time `json:"completed_at"`
	RetainUntil time.Time  `json:"retain_until"`
	DeletedAt   *time.Time `json:"deleted_at"`
	URL         *string    `json:"url"`
	ThumbURL    *string    `json:"thumbnail_url"`
	ExpiresAt   *time.Time `json:"expires_at"`
	EXIF        *struct {
		CaptureTime        *time.Time `json:"capture_time"`
		CaptureOffsetKnown bool       `json:"capture_offset_known"`
		GPS                *struct {
			Lat       float64  `json:"lat"`
			Lng       float64  `json:"lng"`
			AltitudeM *float64 `json:"altitude_m"`
		} `json:"gps"`
		Make     string `json:"make"`
		Model    string `json:"model"`
		Software string `json:"software"`
	} `json:"exif"`
	Reused *struct {
		Of           string `json:"of"`
		Distance     int    `json:"distance"`
		Exact        bool   `json:"exact"`
		SameEmployee bool   `json:"same_employee"`
	} `json:"reused"`
}

func readPhoto(t testing.TB, r *resp) photoJSON {
	t.Helper()
	var p photoJSON
	r.JSON(t, &p)
	return p
}

// uploadJSON is the PhotoUpload schema.
type uploadJSON struct {
	ID        string            `json:"id"`
	UploadURL string            `json:"upload_url"`
	Method    string            `json:"method"`
	Headers   map[string]string `json:"headers"`
	ExpiresAt time.Time         `json:"expires_at"`
}

// --- fixtures: every image is made in code ---

// scene draws a deterministic photo-like image (gradient, soft ellipses,
// noise); different seeds give unrelated scenes, far apart in pHash.
func scene(w, h int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
	col := func() [3]float64 { return [3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255} }
	type ellipse struct {
		cx, cy, rx, ry float64
		c              [3]float64
	}
	c0, c1 := col(), col()
	shapes := make([]ellipse, 12)
	for i := range shapes {
		shapes[i] = ellipse{rng.Float64() * float64(w), rng.Float64() * float64(h),
			(0.05 + 0.25*rng.Float64()) * float64(w), (0.05 + 0.25*rng.Float64()) * float64(h), col()}
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			t := (float64(x)/float64(w) + float64(y)/float64(h)) / 2
			var px [3]float64
			for k := range px {
				px[k] = c0[k]*(1-t) + c1[k]*t
			}
			for _, s := range shapes {
				dx, dy := (float64(x)-s.cx)/s.rx, (float64(y)-s.cy)/s.ry
				if d := dx*dx + dy*dy; d < 1 {
					a := math.Min(1, (1-d)*4)
					for k := range px {
						px[k] = px[k]*(1-a) + s.c[k]*a
					}
				}
			}
			i := img.PixOffset(x, y)
			for k := range px {
				img.Pix[i+k] = uint8(math.Max(0, math.Min(255, px[k]+rng.NormFloat64()*6)))
			}
			img.Pix[i+3] = 255
		}
	}
	return img
}

// exifFixture is what withEXIF writes.
type exifFixture struct {
	make, model, software string
	dateTimeOriginal      string // "2006:01:02 15:04:05"
	offsetTimeOriginal    string // "+08:00"
	lat, lng, altM        float64
}

// withEXIF inserts an APP1 Exif segment after the JPEG's SOI: a
// little-endian TIFF with IFD0 (Make, Model, Software, Exif and GPS
// pointers), the Exif IFD (DateTimeOriginal, OffsetTimeOriginal) and the GPS
// IFD (N/E degrees-minutes-seconds, altitude above sea level).
func withEXIF(jpg []byte, f exifFixture) []byte {
	type entry struct {
		tag, typ uint16
		count    uint32
		val      []byte
	}
	le := binary.LittleEndian
	ascii := func(tag uint16, s string) entry { return entry{tag, 2, uint32(len(s) + 1), append([]byte(s), 0)} }
	long := func(tag uint16, v uint32) entry { return entry{tag, 4, 1, le.AppendUint32(nil, v)} }
	rationals := func(tag uint16, vs ...[2]uint32) entry {
		var b []byte
		for _, v := range vs {
			b = le.AppendUint32(le.AppendUint32(b, v[0]), v[1])
		}
		return entry{tag, 5, uint32(len(vs)), b}
	}
	dms := func(deg float64) [][2]uint32 {
		d := math.Floor(deg)
		m := math.Floor((deg - d) * 60)
		s := (deg - d - m/60) * 3600
		return [][2]uint32{{uint32(d), 1}, {uint32(m), 1}, {uint32(math.Round(s * 10000)), 10000}}
	}
	size := func(es []entry) int {
		n := 2 + 12*len(es) + 4
		for _, e := range es {
			if len(e.val) > 4 {
				n += len(e.val) + len(e.val)%2
			}
		}
		return n
	}
	exifIFD := []entry{ascii(0x9003, f.dateTimeOriginal), ascii(0x9011, f.offsetTimeOriginal)}
	gpsIFD := []entry{{0x0000, 1, 4, []byte{2, 3, 0, 0}}, ascii(0x0001, "N"), rationals(0x0002, dms(f.lat)...),
		ascii(0x0003, "E"), rationals(0x0004, dms(f.lng)...), {0x0005, 1, 1, []byte{0}},
		rationals(0x0006, [2]uint32{uint32(math.Round(f.altM * 10)), 10})}
	ifd0 := []entry{ascii(0x010F, f.make), ascii(0x0110, f.model), ascii(0x0131, f.software), long(0x8769, 0), long(0x8825, 0)}
	exifOff := 8 + size(ifd0)
	ifd0[3], ifd0[4] = long(0x8769, uint32(exifOff)), long(0x8825, uint32(exifOff+size(exifIFD)))

	tiff := []byte("II*\x00\x08\x00\x00\x00")
	for _, ifd := range [][]entry{ifd0, exifIFD, gpsIFD} {
		data := len(tiff) + 2 + 12*len(ifd) + 4
		var vals []byte
		tiff = le.AppendUint16(tiff, uint16(len(ifd)))
		for _, e := range ifd {
			tiff = le.AppendUint32(le.AppendUint16(le.AppendUint16(tiff, e.tag), e.typ), e.count)
			if len(e.val) <= 4 {
				tiff = append(tiff, append(e.val, make([]byte, 4-len(e.val))...)...)
				continue
			}
			tiff = le.AppendUint32(tiff, uint32(data+len(vals)))
			vals = append(vals, e.val...)
			if len(e.val)%2 == 1 {
				vals = append(vals, 0)
			}
		}
		tiff = append(le.AppendUint32(tiff, 0), vals...)
	}
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := binary.BigEndian.AppendUint16([]byte{0xFF, 0xE1}, uint16(len(payload)+2))
	out := append(append(append([]byte{}, jpg[:2]...), seg...), payload...)
	return append(out, jpg[2:]...)
}

// heicFile starts like an iPhone HEIC: an ftyp box with brand heic.
func heicFile() []byte {
	body := append([]byte("heic\x00\x00\x00\x00"), "mif1heic"...)
	out := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	out = append(append(out, "ftyp"...), body...)
	return append(out, bytes.Repeat([]byte{0}, 512)...)
}

// pngBomb is a PNG header declaring 60000×60000 pixels, with no pixel data:
// refused from its header before anything is decoded.
func pngBomb() []byte {
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 60000), 60000)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(ihdr)))
	chunk = append(append(chunk, "IHDR"...), ihdr...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(append([]byte("IHDR"), ihdr...)))
	return append([]byte("\x89PNG\r\n\x1a\n"), chunk...)
}

// fixtures made once per test binary.
var (
	photoA = sync.OnceValue(func() *image.NRGBA { return scene(640, 480, 1) })
	photoB = sync.OnceValue(func() *image.NRGBA { return scene(640, 480, 2) })
	photoC = sync.OnceValue(func() *image.NRGBA { return scene(640, 480, 3) })
)

var exifShanghai = exifFixture{make: "Apple", model: "iPhone 15", software: "17.4", dateTimeOriginal: "2026:03:02 08:59:30",
	offsetTimeOriginal: "+08:00", lat: 31.2304, lng: 121.4737, altM: 12.5}

func newID() string { return uuid.NewString() }

// setupPhotoTenant makes a tenant with one employee.
func setupPhotoTenant(t *testing.T, o attendance.PhotoOptions) (*photoEnv, tenant, person) {
	p := newPhotoEnv(t, t, o, false)
	tn := p.newTenant("acme")
	return p, tn, p.person(tn, "E1", nil)
}

func TestPhotos_MultipartUpload(t *testing.T) {
	t.Parallel()
	p, tn, emp := setupPhotoTenant(t, attendance.PhotoOptions{MaxBytes: 1 << 20})

	t.Run("JPEGWithEXIFGivesTheClaimsAndStripsThemFromTheStoredCopies", func(t *testing.T) {
		in := withEXIF(mediatest.JPEG(t, photoA(), 90), exifShanghai)
		r := p.upload(emp.Token, in)
		want(t, r, 201)
		ph := readPhoto(t, r)
		if ph.Status != "ready" || *ph.Format != "jpeg" || *ph.Width != 640 || *ph.Height != 480 || ph.EmployeeID != emp.ID {
			t.Fatalf("photo: %s", r.Body)
		}
		if *ph.SHA256 != hex.EncodeToString(sha(in)) || *ph.Bytes != int64(len(in)) {
			t.Errorf("sha256 %s, bytes %d: not the original's", *ph.SHA256, *ph.Bytes)
		}
		x := ph.EXIF
		wantTime := time.Date(2026, 3, 2, 0, 59, 30, 0, time.UTC)
		if x == nil || x.CaptureTime == nil || !x.CaptureTime.Equal(wantTime) || !x.CaptureOffsetKnown {
			t.Fatalf("capture time: %s", r.Body)
		}
		if x.GPS == nil || math.Abs(x.GPS.Lat-31.2304) > 1e-5 || math.Abs(x.GPS.Lng-121.4737) > 1e-5 ||
			x.GPS.AltitudeM == nil || *x.GPS.AltitudeM != 12.5 {
			t.Fatalf("gps: %s", r.Body)
		}
		if x.Make != "Apple" || x.Model != "iPhone 15" || x.Software != "17.4" {
			t.Errorf("camera: %s", r.Body)
		}
		if ph.Reused != nil || ph.URL != nil {
			t.Errorf("a first upload repeats nothing and carries no URL: %s", r.Body)
		}
		if !ph.RetainUntil.Equal(ph.CreatedAt.AddDate(0, 0, 400)) {
			t.Errorf("retain_until %s, want created_at + 400 days", ph.RetainUntil)
		}

		g := p.do("GET", "/v1/me/photos/"+ph.ID, emp.Token, nil)
		want(t, g, 200)
		got := readPhoto(t, g)
		for name, u := range map[string]*string{"url": got.URL, "thumbnail_url": got.ThumbURL} {
			if u == nil || !strings.HasPrefix(*u, photoBaseURL+"/v1/media/photos/"+tn.ID.String()+"/"+ph.ID+"/") {
				t.Fatalf("%s: %s", name, g.Body)
			}
			img := p.fetch("GET", *u, nil)
			want(t, img, 200)
			if img.Header.Get("Content-Type") != "image/jpeg" {
				t.Errorf("%s content type %q", name, img.Header.Get("Content-Type"))
			}
			if bytes.Contains(img.Body, []byte("Exif")) || bytes.Contains(img.Body, []byte("iPhone")) ||
				media.ExtractEXIF(img.Body) != (media.EXIF{}) {
				t.Errorf("%s still carries metadata", name)
			}
		}
		if got.ExpiresAt == nil || !got.ExpiresAt.Equal(p.clock.Now().Add(5*time.Minute)) {
			t.Errorf("expires_at %v, want now + 5 min", got.ExpiresAt)
		}
	})

	for _, tc := range []struct {
		name        string
		file        func(t *testing.T) []byte
		status      int
		code, in    string
		format      string
		wantW, want int
	}{
		{name: "PNG", file: func(t *testing.T) []byte { return mediatest.PNG(t, scene(200, 150, 9)) }, status: 201, format: "png", wantW: 200, want: 150},
		{name: "LossyWebP", file: func(*testing.T) []byte { return mediatest.LossyWebP }, status: 201, format: "webp", wantW: 150, want: 100},
		{name: "HEICIsRefusedWithAdviceToSendJPEG", file: func(*testing.T) []byte { return heicFile() }, status: 415,
			code: "unsupported_image_type", in: "JPEG"},
		{name: "DecompressionBombIsRefusedFromItsHeader", file: func(*testing.T) []byte { return pngBomb() }, status: 413,
			code: "image_too_large", in: "pixels"},
		{name: "TruncatedJPEGIsCorrupt", file: func(t *testing.T) []byte { b := mediatest.JPEG(t, photoB(), 90); return b[:len(b)/2] },
			status: 422, code: "corrupt_image"},
		{name: "JPEGMagicThenGarbageIsCorrupt", file: func(*testing.T) []byte {
			return append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte("garbage!"), 512)...)
		}, status: 422, code: "corrupt_image"},
		{name: "GarbageIsNotAnImage", file: func(*testing.T) []byte { return []byte("hello, this is not a photo at all") },
			status: 415, code: "unsupported_image_type"},
		{name: "TinyImageIsTooSmall", file: func(t *testing.T) []byte { return mediatest.JPEG(t, scene(40, 30, 4), 90) }, status: 422,
			code: "image_too_small"},
		{name: "EmptyFileIsCorrupt", file: func(*testing.T) []byte { return nil }, status: 422, code: "corrupt_image"},
		{name: "OneByteOverTheLimitIsTooLarge", file: func(*testing.T) []byte {
			return append([]byte{0xFF, 0xD8, 0xFF}, make([]byte, 1<<20-2)...)
		}, status: 413, code: "image_too_large", in: "1048576"},
		{name: "FarOverTheLimitIsRefusedByTheBodyLimit", file: func(*testing.T) []byte { return make([]byte, 3<<20) },
			status: 413, code: "body_too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := p.upload(emp.Token, tc.file(t))
			pr := want(t, r, tc.status, tc.code)
			if tc.in != "" && !strings.Contains(pr.Detail, tc.in) {
				t.Errorf("detail %q does not mention %q", pr.Detail, tc.in)
			}
			if tc.status == 201 {
				ph := readPhoto(t, r)
				if *ph.Format != tc.format || *ph.Width != tc.wantW || *ph.Height != tc.want {
					t.Errorf("got %s %d×%d", *ph.Format, *ph.Width, *ph.Height)
				}
			}
		})
	}

	t.Run("WithoutAFilePartIsAFieldError", func(t *testing.T) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("note", "x")
		_ = mw.Close()
		req := httptest.NewRequest("POST", "/v1/me/photos", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+emp.Token)
		pr := want(t, p.send(req), 422, "validation_failed")
		if len(pr.Errors) != 1 || pr.Errors[0].Field != "file" {
			t.Errorf("errors %+v", pr.Errors)
		}
	})
	t.Run("WithoutATokenIs401", func(t *testing.T) {
		want(t, p.upload("", mediatest.JPEG(t, photoA(), 80)), 401)
	})
}

func sha(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

func TestPhotos_Reuse(t *testing.T) {
	t.Parallel()
	p, tn, emp := setupPhotoTenant(t, attendance.PhotoOptions{})
	other := p.person(tn, "E2", nil)
	orig := mediatest.JPEG(t, photoC(), 90)
	first := readPhoto(t, p.upload(emp.Token, orig))

	half := imaging.Resize(photoC(), 320, 0, imaging.Lanczos)
	rotated := imaging.Rotate90(photoC())
	for _, tc := range []struct {
		name    string
		after   time.Duration // clock advance before the upload
		by      person
		file    []byte
		exact   bool
		same    bool
		reused  bool
		maxDist int
	}{
		{name: "ExactReUploadBySomeoneElse", by: other, file: orig, reused: true, exact: true},
		{name: "ExactReUploadBySelfLater", after: 16 * time.Minute, by: emp, file: orig, reused: true, exact: true, same: true},
		{name: "ResizedAndRecompressed", by: emp, file: mediatest.JPEG(t, half, 60), reused: true, same: true, maxDist: 8},
		{name: "TurnedByNinetyDegrees", by: emp, file: mediatest.JPEG(t, rotated, 85), reused: true, same: true, maxDist: 8},
		{name: "UnrelatedPhoto", by: emp, file: mediatest.JPEG(t, scene(640, 480, 77), 90)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.clock.Advance(tc.after)
			r := p.upload(tc.by.Token, tc.file)
			want(t, r, 201)
			ph := readPhoto(t, r)
			if !tc.reused {
				if ph.Reused != nil {
					t.Fatalf("unrelated photo marked reused: %s", r.Body)
				}
				return
			}
			if ph.Reused == nil {
				t.Fatalf("not marked reused: %s", r.Body)
			}
			ru := ph.Reused
			if ru.Exact != tc.exact || ru.SameEmployee != tc.same || ru.Distance > tc.maxDist {
				t.Errorf("reused %+v, want exact=%t same_employee=%t distance<=%d", *ru, tc.exact, tc.same, tc.maxDist)
			}
			if tc.exact && ru.Of != first.ID {
				t.Errorf("exact copy of %s, want %s", ru.Of, first.ID)
			}
		})
	}

	t.Run("TheSameBytesFromTheSameEmployeeSoonAfterAreARetry", func(t *testing.T) {
		in := mediatest.JPEG(t, scene(320, 240, 31), 90)
		created := readPhoto(t, p.upload(emp.Token, in))
		p.clock.Advance(14 * time.Minute)
		r := p.upload(emp.Token, in)
		want(t, r, 200)
		if again := readPhoto(t, r); again.ID != created.ID || again.Reused != nil {
			t.Errorf("replay %s, want photo %s unchanged", r.Body, created.ID)
		}
		p.clock.Advance(2 * time.Minute)
		later := p.upload(emp.Token, in)
		want(t, later, 201)
		if ph := readPhoto(t, later); ph.Reused == nil || ph.Reused.Of != created.ID || !ph.Reused.Exact {
			t.Errorf("after the retry window: %s", later.Body)
		}
	})

	t.Run("AnotherTenantsPhotosAreNeverCompared", func(t *testing.T) {
		tn2 := p.newTenant("other")
		stranger := p.person(tn2, "E1", nil)
		r := p.upload(stranger.Token, orig)
		want(t, r, 201)
		if ph := readPhoto(t, r); ph.Reused != nil {
			t.Errorf("matched across tenants: %s", r.Body)
		}
	})

	t.Run("NearMatchesOnlyWithinTheWindowExactOnesAlways", func(t *testing.T) {
		p, _, emp := setupPhotoTenant(t, attendance.PhotoOptions{ReuseWindow: 24 * time.Hour})
		in := mediatest.JPEG(t, photoA(), 90)
		want(t, p.upload(emp.Token, in), 201)
		p.clock.Advance(48 * time.Hour)
		near := readPhoto(t, p.upload(emp.Token, mediatest.JPEG(t, imaging.Resize(photoA(), 320, 0, imaging.Lanczos), 70)))
		if near.Reused != nil {
			t.Errorf("a near match outside the window: %+v", *near.Reused)
		}
		exact := readPhoto(t, p.upload(emp.Token, in))
		if exact.Reused == nil || !exact.Reused.Exact {
			t.Errorf("an exact copy outside the window must still match: %+v", exact.Reused)
		}
	})
}

func TestPhotos_DirectUploadToLocalStore(t *testing.T) {
	t.Parallel()
	// Concurrent completions queue for the processing slots, however slow
	// the machine (the busy answer has its own test).
	p, tn, emp := setupPhotoTenant(t, attendance.PhotoOptions{QueueWait: time.Minute})
	other := p.person(tn, "E2", nil)
	in := withEXIF(mediatest.JPEG(t, photoB(), 90), exifShanghai)

	start := func(t *testing.T, who person, ct string, size int) uploadJSON {
		return startUpload(t, p, who, ct, size)
	}

	t.Run("PutCompleteAndCompleteAgain", func(t *testing.T) {
		u := start(t, emp, "image/jpeg", len(in))
		if u.Method != "PUT" || u.Headers["Content-Type"] != "image/jpeg" ||
			!strings.HasPrefix(u.UploadURL, photoBaseURL+"/v1/media/uploads/"+tn.ID.String()+"/"+u.ID+"?") {
			t.Fatalf("upload %+v", u)
		}
		if !u.ExpiresAt.Equal(p.clock.Now().Add(15 * time.Minute)) {
			t.Errorf("expires_at %s, want now + 15 min", u.ExpiresAt)
		}
		want(t, p.do("POST", "/v1/me/photos/"+u.ID+"/complete", emp.Token, nil), 409, "upload_missing")
		want(t, p.fetch("PUT", u.UploadURL, in, "Content-Type", "image/jpeg"), 200)

		r := p.do("POST", "/v1/me/photos/"+u.ID+"/complete", emp.Token, nil)
		want(t, r, 200)
		ph := readPhoto(t, r)
		if ph.ID != u.ID || ph.Status != "ready" || *ph.SHA256 != hex.EncodeToString(sha(in)) || ph.EXIF == nil || ph.EXIF.GPS == nil {
			t.Fatalf("completed photo: %s", r.Body)
		}
		if _, err := p.store.Stat(context.Background(), "uploads/"+tn.ID.String()+"/"+u.ID); err == nil {
			t.Error("the raw upload was not deleted")
		}
		again := p.do("POST", "/v1/me/photos/"+u.ID+"/complete", emp.Token, nil)
		want(t, again, 200)
		if ph2 := readPhoto(t, again); ph2.ID != ph.ID || *ph2.SHA256 != *ph.SHA256 || !ph2.CompletedAt.Equal(*ph.CompletedAt) {
			t.Errorf("completing again changed the photo: %s vs %s", again.Body, r.Body)
		}
		ev, err := p.att.PhotoEvidence(context.Background(), tn.ID, uuid.MustParse(emp.ID), uuid.MustParse(u.ID))
		if err != nil || ev.GPS == nil || ev.CaptureTime == nil || ev.Reuse != nil {
			t.Errorf("evidence %+v, %v", ev, err)
		}
	})

	t.Run("TwoCompletionsAtOnceGiveOnePhoto", func(t *testing.T) {
		in := mediatest.JPEG(t, scene(800, 600, 11), 90)
		u := start(t, emp, "image/jpeg", len(in))
		want(t, p.fetch("PUT", u.UploadURL, in, "Content-Type", "image/jpeg"), 200)
		got := make([]*resp, 3)
		var wg sync.WaitGroup
		for i := range got {
			wg.Go(func() { got[i] = p.do("POST", "/v1/me/photos/"+u.ID+"/complete", emp.Token, nil) })
		}
		wg.Wait()
		for _, r := range got {
			want(t, r, 200)
			if ph := readPhoto(t, r); ph.ID != u.ID || ph.Status != "ready" || ph.Reused != nil {
				t.Errorf("completion: %s", r.Body)
			}
		}
	})

	t.Run("AnotherEmployeeCannotCompleteOrSeeIt", func(t *testing.T) {
		u := start(t, emp, "image/jpeg", len(in))
		want(t, p.fetch("PUT", u.UploadURL, in, "Content-Type", "image/jpeg"), 200)
		want(t, p.do("POST", "/v1/me/photos/"+u.ID+"/complete", other.Token, nil), 404, "not_found")
		want(t, p.do("GET", "/v1/me/photos/"+u.ID, other.Token, nil), 404)
		want(t, p.do("POST", "/v1/me/photos/"+newID()+"/complete", emp.Token, nil), 404)
	})

	t.Run("SignaturesAreChecked", func(t *testing.T) {
		u := start(t, emp, "image/png", 1000)
		tampered := strings.Replace(u.UploadURL, "sig=", "sig=00", 1)
		otherKey := strings.Replace(u.UploadURL, u.ID, newID(), 1)
		for name, tc := range map[string]struct {
			url, ct string
		}{
			"WrongSignature":           {tampered, "image/png"},
			"AnotherKey":               {otherKey, "image/png"},
			"ContentTypeNotAsSigned":   {u.UploadURL, "image/jpeg"},
			"NoSignatureAtAll":         {strings.Split(u.UploadURL, "?")[0], "image/png"},
			"UploadURLUsedToDownload":  {u.UploadURL, ""},
			"PhotosAreNeverPublicByID": {photoBaseURL + "/v1/media/photos/" + tn.ID.String() + "/" + u.ID + "/normalized.jpg", ""},
		} {
			t.Run(name, func(t *testing.T) {
				method := "PUT"
				if tc.ct == "" {
					method = "GET"
				}
				want(t, p.fetch(method, tc.url, []byte("x"), "Content-Type", tc.ct), 403, "invalid_signature")
			})
		}
	})

	t.Run("AnExpiredURLIsRefused", func(t *testing.T) {
		p, _, emp := setupPhotoTenant(t, attendance.PhotoOptions{})
		u := startUpload(t, p, emp, "image/jpeg", len(in))
		p.clock.Advance(16 * time.Minute)
		want(t, p.fetch("PUT", u.UploadURL, in, "Content-Type", "image/jpeg"), 403, "invalid_signature")
	})

	t.Run("ARefusedUploadStaysRefused", func(t *testing.T) {
		heic := heicFile()
		u := start(t, emp, "image/jpeg", len(heic))
		want(t, p.fetch("PUT", u.UploadURL, heic, "Content-Type", "image/jpeg"), 200)
		pr := want(t, p.do("POST", "/v1/me/photos/"+u.ID+"/complete", emp.Token, nil), 415, "unsupported_image_type")
		if !strings.Contains(pr.Detail, "JPEG") {
			t.Errorf("detail %q", pr.Detail)
		}
		pr = want(t, p.do("POST", "/v1/me/photos/"+u.ID+"/complete", emp.Token, nil), 415, "unsupported_image_type")
		if !strings.Contains(pr.Detail, "JPEG") {
			t.Errorf("detail of the replay %q", pr.Detail)
		}
		g := readPhoto(t, p.do("GET", "/v1/me/photos/"+u.ID, emp.Token, nil))
		if g.Status != "failed" || g.FailureCode == nil || *g.FailureCode != "unsupported_image_type" || g.URL != nil {
			t.Errorf("refused photo: %+v", g)
		}
		_, err := p.att.PhotoEvidence(context.Background(), tn.ID, uuid.MustParse(emp.ID), uuid.MustParse(u.ID))
		if errs.CodeOf(err) != "photo_not_found" {
			t.Errorf("a refused photo can be attached: %v", err)
		}
	})

	for _, tc := range []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"HEICIsNotOffered", map[string]any{"content_type": "image/heic", "size": 10}, 422, "validation_failed"},
		{"ZeroSize", map[string]any{"content_type": "image/jpeg", "size": 0}, 422, "validation_failed"},
		{"LargerThanAccepted", map[string]any{"content_type": "image/jpeg", "size": 16 << 20}, 413, "image_too_large"},
		{"UnknownField", map[string]any{"content_type": "image/jpeg", "size": 10, "name": "x.jpg"}, 422, "validation_failed"},
	} {
		t.Run("Start"+tc.name, func(t *testing.T) {
			want(t, p.do("POST", "/v1/me/photos/uploads", emp.Token, tc.body), tc.status, tc.code)
		})
	}
}

// startUpload asks for a direct-upload URL.
func startUpload(t *testing.T, p *photoEnv, who person, ct string, size int) uploadJSON {
	t.Helper()
	r := p.do("POST", "/v1/me/photos/uploads", who.Token, map[string]any{"content_type": ct, "size": size})
	want(t, r, 201)
	var u uploadJSON
	r.JSON(t, &u)
	return u
}

func TestPhotos_DirectUploadToS3(t *testing.T) {
	t.Parallel()
	p := newPhotoEnv(t, t, attendance.PhotoOptions{}, true)
	tn := p.newTenant("acme")
	emp := p.person(tn, "E1", nil)
	in := mediatest.PNG(t, scene(300, 200, 5))

	r := p.do("POST", "/v1/me/photos/uploads", emp.Token, map[string]any{"content_type": "image/png", "size": len(in)})
	want(t, r, 201)
	var u uploadJSON
	r.JSON(t, &u)
	put := func(ct string) int {
		req, _ := http.NewRequest(u.Method, u.UploadURL, bytes.NewReader(in))
		req.Header.Set("Content-Type", ct)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		return res.StatusCode
	}
	if st := put("image/jpeg"); st != http.StatusForbidden {
		t.Errorf("S3 accepted a PUT with another Content-Type than signed: %d", st)
	}
	if st := put(u.Headers["Content-Type"]); st != http.StatusOK {
		t.Fatalf("presigned PUT: %d", st)
	}
	c := p.do("POST", "/v1/me/photos/"+u.ID+"/complete", emp.Token, nil)
	want(t, c, 200)
	if ph := readPhoto(t, c); ph.Status != "ready" || *ph.Format != "png" || *ph.Width != 300 {
		t.Fatalf("completed: %s", c.Body)
	}
	want(t, p.do("POST", "/v1/me/photos/"+u.ID+"/complete", emp.Token, nil), 200)

	g := readPhoto(t, p.do("GET", "/v1/me/photos/"+u.ID, emp.Token, nil))
	res, err := http.Get(*g.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 200 || !bytes.HasPrefix(body, []byte{0xFF, 0xD8, 0xFF}) {
		t.Fatalf("signed S3 GET: %d %.80q", res.StatusCode, body)
	}
	if _, err := p.store.Stat(context.Background(), "uploads/"+tn.ID.String()+"/"+u.ID); err == nil {
		t.Error("the raw upload was not deleted")
	}
	bare, err := http.Get(strings.Split(*g.URL, "?")[0])
	if err != nil {
		t.Fatal(err)
	}
	_ = bare.Body.Close()
	if bare.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned GET of a photo: %d, want 403", bare.StatusCode)
	}
}

func TestPhotos_WhoSeesWhat(t *testing.T) {
	t.Parallel()
	p := newPhotoEnv(t, t, attendance.PhotoOptions{}, false)
	tn := p.newTenant("acme")
	mgr := p.person(tn, "M1", map[string]any{"role": "manager"})
	report := p.person(tn, "E1", map[string]any{"manager_id": mgr.ID})
	outsider := p.person(tn, "E2", nil)
	tn2 := p.newTenant("other")
	mine := readPhoto(t, p.upload(report.Token, mediatest.JPEG(t, photoA(), 85)))
	theirs := readPhoto(t, p.upload(outsider.Token, mediatest.JPEG(t, photoB(), 85)))

	for _, tc := range []struct {
		name, token, path string
		status            int
	}{
		{"ManagerSeesTheirReport", mgr.Token, "/v1/photos/" + mine.ID, 200},
		{"ManagerDoesNotSeeOthers", mgr.Token, "/v1/photos/" + theirs.ID, 404},
		{"AdminSeesEveryone", tn.Admin, "/v1/photos/" + theirs.ID, 200},
		{"EmployeeUsesTheMeRoute", report.Token, "/v1/photos/" + mine.ID, 403},
		{"OwnerSeesOwn", report.Token, "/v1/me/photos/" + mine.ID, 200},
		{"OwnerDoesNotSeeAColleagues", report.Token, "/v1/me/photos/" + theirs.ID, 404},
		{"ManagerMeRouteIsOnlyTheirOwn", mgr.Token, "/v1/me/photos/" + mine.ID, 404},
		{"AnotherTenantsAdmin", tn2.Admin, "/v1/photos/" + mine.ID, 404},
		{"UnknownID", tn.Admin, "/v1/photos/" + newID(), 404},
		{"MalformedID", tn.Admin, "/v1/photos/not-a-uuid", 422},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := p.do("GET", tc.path, tc.token, nil)
			want(t, r, tc.status)
			if tc.status != 200 {
				return
			}
			ph := readPhoto(t, r)
			if ph.URL == nil || ph.ThumbURL == nil {
				t.Fatalf("no signed URLs: %s", r.Body)
			}
			full := p.fetch("GET", *ph.URL, nil)
			want(t, full, 200)
			img, err := jpeg.Decode(bytes.NewReader(full.Body))
			if err != nil || img.Bounds().Dx() != 640 {
				t.Fatalf("normalised image: %v", err)
			}
			thumb := p.fetch("GET", *ph.ThumbURL, nil)
			want(t, thumb, 200)
			if ti, err := jpeg.Decode(bytes.NewReader(thumb.Body)); err != nil || ti.Bounds().Dx() != 320 {
				t.Fatalf("thumbnail: %v", err)
			}
			if !strings.HasPrefix(full.Header.Get("Cache-Control"), "private") {
				t.Errorf("cache-control %q", full.Header.Get("Cache-Control"))
			}
		})
	}

	t.Run("SignedURLsExpire", func(t *testing.T) {
		ph := readPhoto(t, p.do("GET", "/v1/photos/"+mine.ID, mgr.Token, nil))
		p.clock.Advance(6 * time.Minute)
		want(t, p.fetch("GET", *ph.URL, nil), 403, "invalid_signature")
	})
}

func TestPhotos_Evidence(t *testing.T) {
	t.Parallel()
	p, tn, emp := setupPhotoTenant(t, attendance.PhotoOptions{})
	other := p.person(tn, "E2", nil)
	ctx := context.Background()
	in := withEXIF(mediatest.JPEG(t, photoA(), 90), exifShanghai)
	mine := readPhoto(t, p.upload(emp.Token, in))
	theirs := readPhoto(t, p.upload(other.Token, in))
	var pending uploadJSON
	p.do("POST", "/v1/me/photos/uploads", emp.Token, map[string]any{"content_type": "image/jpeg", "size": 10}).JSON(t, &pending)
	empID := uuid.MustParse(emp.ID)

	ev, err := p.att.PhotoEvidence(ctx, tn.ID, empID, uuid.MustParse(mine.ID))
	if err != nil {
		t.Fatal(err)
	}
	if ev.PhotoID.String() != mine.ID || ev.GPS == nil || ev.GPS.Lat < 31.23 || !ev.CaptureOffsetKnown || ev.Model != "iPhone 15" ||
		ev.Reuse != nil || !ev.ReceivedAt.Equal(mine.CreatedAt) {
		t.Errorf("evidence %+v", ev)
	}
	ev2, err := p.att.PhotoEvidence(ctx, tn.ID, uuid.MustParse(other.ID), uuid.MustParse(theirs.ID))
	if err != nil || ev2.Reuse == nil || !ev2.Reuse.Exact || ev2.Reuse.SameEmployee || ev2.Reuse.Of.String() != mine.ID {
		t.Errorf("the colleague's copy: %+v %v", ev2.Reuse, err)
	}

	for _, tc := range []struct {
		name   string
		tenant uuid.UUID
		photo  string
		code   string
	}{
		{"AColleaguesPhoto", tn.ID, theirs.ID, "photo_not_found"},
		{"NoSuchPhoto", tn.ID, newID(), "photo_not_found"},
		{"AnotherTenant", uuid.New(), mine.ID, "photo_not_found"},
		{"NotYetCompleted", tn.ID, pending.ID, "photo_not_ready"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.att.PhotoEvidence(ctx, tc.tenant, empID, uuid.MustParse(tc.photo))
			e, ok := errs.As(err)
			if !ok || e.Kind != errs.Invalid || e.Code != tc.code || len(e.Fields) != 1 || e.Fields[0].Field != "photo_id" {
				t.Fatalf("got %#v, want Invalid %s on photo_id", err, tc.code)
			}
		})
	}
}

func TestPhotos_Retention(t *testing.T) {
	t.Parallel()
	p, tn, emp := setupPhotoTenant(t, attendance.PhotoOptions{})
	ctx := context.Background()
	if _, err := p.pool.Exec(ctx, `UPDATE tenants SET keep_photo_originals = true WHERE id = $1`, tn.ID); err != nil {
		t.Fatal(err)
	}
	in := withEXIF(mediatest.JPEG(t, photoA(), 90), exifShanghai)
	ph := readPhoto(t, p.upload(emp.Token, in))
	prefix := "photos/" + tn.ID.String() + "/" + ph.ID + "/"
	keys := []string{prefix + "normalized.jpg", prefix + "thumb.jpg", prefix + "original.jpeg"}
	for _, k := range keys {
		if _, err := p.store.Stat(ctx, k); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}
	if orig, _ := p.store.Get(ctx, keys[2]); orig != nil {
		b, _ := io.ReadAll(orig)
		_ = orig.Close()
		if !bytes.Equal(b, in) {
			t.Error("the kept original is not the uploaded bytes")
		}
	}
	var abandoned uploadJSON
	p.do("POST", "/v1/me/photos/uploads", emp.Token, map[string]any{"content_type": "image/jpeg", "size": len(in)}).JSON(t, &abandoned)
	want(t, p.fetch("PUT", abandoned.UploadURL, in, "Content-Type", "image/jpeg"), 200)
	rawKey := "uploads/" + tn.ID.String() + "/" + abandoned.ID

	t.Run("NothingIsDueEarly", func(t *testing.T) {
		p.clock.Advance(15*time.Minute + 23*time.Hour)
		res, err := p.att.PurgeExpiredPhotos(ctx)
		if err != nil || res != (attendance.PhotoPurge{}) {
			t.Fatalf("purge %+v %v", res, err)
		}
	})
	t.Run("AnUploadNeverCompletedIsDroppedADayAfterItsURLExpired", func(t *testing.T) {
		p.clock.Advance(2 * time.Hour)
		res, err := p.att.PurgeExpiredPhotos(ctx)
		if err != nil || res != (attendance.PhotoPurge{Abandoned: 1}) {
			t.Fatalf("purge %+v %v", res, err)
		}
		if _, err := p.store.Stat(ctx, rawKey); err == nil {
			t.Error("the raw upload is still stored")
		}
		want(t, p.do("POST", "/v1/me/photos/"+abandoned.ID+"/complete", emp.Token, nil), 410, "upload_abandoned")
	})
	t.Run("APhotoIsDeletedWhenItsRetentionEnds", func(t *testing.T) {
		p.clock.Advance(398 * 24 * time.Hour)
		if res, err := p.att.PurgeExpiredPhotos(ctx); err != nil || res.Expired != 0 {
			t.Fatalf("day 399: purge %+v %v", res, err)
		}
		p.clock.Advance(2 * 24 * time.Hour)
		ran, res, err := p.att.PhotoRetentionPass(ctx)
		if err != nil || !ran || res.Expired != 2 { // the photo and the refused upload's row
			t.Fatalf("day 401: ran=%t purge %+v %v", ran, res, err)
		}
		for _, k := range keys {
			if _, err := p.store.Stat(ctx, k); err == nil {
				t.Errorf("%s is still stored", k)
			}
		}
		g := readPhoto(t, p.do("GET", "/v1/me/photos/"+ph.ID, emp.Token, nil))
		if g.DeletedAt == nil || g.URL != nil || g.EXIF == nil || g.EXIF.GPS != nil {
			t.Errorf("deleted photo: %+v", g)
		}
		if _, err := p.att.PhotoEvidence(ctx, tn.ID, uuid.MustParse(emp.ID), uuid.MustParse(ph.ID)); errs.CodeOf(err) != "photo_not_found" {
			t.Errorf("a deleted photo can be attached: %v", err)
		}
		if res, err := p.att.PurgeExpiredPhotos(ctx); err != nil || res != (attendance.PhotoPurge{}) {
			t.Errorf("a second pass did %+v %v", res, err)
		}
	})
	t.Run("TheTenantsRetentionAppliesToNewPhotos", func(t *testing.T) {
		if _, err := p.pool.Exec(ctx, `UPDATE tenants SET photo_retention_days = 30 WHERE id = $1`, tn.ID); err != nil {
			t.Fatal(err)
		}
		ph := readPhoto(t, p.upload(emp.Token, mediatest.JPEG(t, photoB(), 80)))
		if !ph.RetainUntil.Equal(ph.CreatedAt.AddDate(0, 0, 30)) {
			t.Errorf("retain_until %s, want created_at + 30 days", ph.RetainUntil)
		}
	})
	t.Run("OneReplicaAtATime", func(t *testing.T) {
		conn, err := p.pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Release()
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, attendance.PhotoRetentionLockKey); err != nil {
			t.Fatal(err)
		}
		if ran, _, err := p.att.PhotoRetentionPass(ctx); ran || err != nil {
			t.Errorf("ran=%t err=%v while another session holds the lock", ran, err)
		}
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, attendance.PhotoRetentionLockKey); err != nil {
			t.Fatal(err)
		}
		if ran, _, err := p.att.PhotoRetentionPass(ctx); !ran || err != nil {
			t.Errorf("ran=%t err=%v once the lock is free", ran, err)
		}
	})
}

// TestPhotos_BusyIs503WithRetryAfter sends two photos at once to a server
// with one processing slot and a millisecond of patience: whichever comes
// second is refused as busy.
func TestPhotos_BusyIs503WithRetryAfter(t *testing.T) {
	t.Parallel()
	p, _, emp := setupPhotoTenant(t, attendance.PhotoOptions{Concurrency: 1, QueueWait: time.Millisecond})
	files := [][]byte{mediatest.JPEG(t, imaging.Resize(photoA(), 2400, 1800, imaging.Linear), 90), mediatest.JPEG(t, photoB(), 80)}
	for attempt := range 5 {
		got := make([]*resp, len(files))
		var wg sync.WaitGroup
		for i, f := range files {
			wg.Go(func() { got[i] = p.upload(emp.Token, f) })
			time.Sleep(time.Duration(10*attempt) * time.Millisecond)
		}
		wg.Wait()
		busy := 0
		for _, r := range got {
			if r.Code == 201 || r.Code == 200 { // 200: a replay of an earlier attempt's photo
				continue
			}
			want(t, r, 503, "busy")
			if r.Header.Get("Retry-After") != "2" {
				t.Errorf("Retry-After %q, want 2", r.Header.Get("Retry-After"))
			}
			busy++
		}
		if busy == 1 {
			return
		}
	}
	t.Fatal("two overlapping uploads never met a full house")
}

// photo12MP is a 4000×3000 photo-like JPEG (quality 90), made once.
var photo12MP = sync.OnceValue(func() []byte { return mediatest.JPEG(&testing.B{}, scene(4000, 3000, 42), 90) })

// photo1MP is a typical phone upload after in-app downscaling: 1280×960.
var photo1MP = sync.OnceValue(func() []byte { return mediatest.JPEG(&testing.B{}, scene(1280, 960, 43), 88) })

// BenchmarkPhotoUpload measures accepted uploads per second through the
// whole HTTP handler (multipart parsing, the pipeline in a bounded number
// of slots, reuse lookup, two local-store writes, the insert), next to
// media.Process alone on the same input, the ceiling. Concurrency is
// GOMAXPROCS slots; the benchmark runs 2×GOMAXPROCS clients so the slots
// stay busy, with a queue wait long enough that none is refused. Besides
// photos/s it reports this process's CPU time per photo (cpu-ms/op), which
// other load on a shared machine disturbs far less than wall time.
func BenchmarkPhotoUpload(b *testing.B) {
	for _, in := range []struct {
		name string
		data func() []byte
	}{{"12MP", photo12MP}, {"1MP", photo1MP}} {
		data := in.data()
		b.Run(in.name+"/MediaProcess", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.SetParallelism(1)
			cpu0 := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := media.Process(bytes.NewReader(data), media.Limits{}); err != nil {
						b.Error(err)
					}
				}
			})
			reportPhotoRate(b, cpu0)
		})
		b.Run(in.name+"/HTTP", func(b *testing.B) {
			p := newPhotoEnv(b, nil, attendance.PhotoOptions{QueueWait: time.Minute}, false)
			tn := p.newTenant("bench")
			emp := p.person(tn, "E1", nil)
			var seq atomic.Int64
			b.SetBytes(int64(len(data)))
			b.SetParallelism(2)
			b.ResetTimer()
			cpu0 := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					// Bytes after the JPEG's end marker make every upload a
					// new file (a near-duplicate of the others, not a replay).
					var body bytes.Buffer
					mw := multipart.NewWriter(&body)
					fw, _ := mw.CreateFormFile("file", "photo.jpg")
					_, _ = fw.Write(data)
					_, _ = fw.Write(binary.BigEndian.AppendUint64(nil, uint64(seq.Add(1))))
					_ = mw.Close()
					req := httptest.NewRequest(http.MethodPost, "/v1/me/photos", &body)
					req.Header.Set("Content-Type", mw.FormDataContentType())
					req.Header.Set("Authorization", "Bearer "+emp.Token)
					rec := httptest.NewRecorder()
					p.e.ServeHTTP(rec, req)
					if rec.Code != http.StatusCreated {
						b.Errorf("status %d: %s", rec.Code, rec.Body)
					}
				}
			})
			reportPhotoRate(b, cpu0)
		})
	}
}

func reportPhotoRate(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "photos/s")
	if cpu := processCPU(); cpu > 0 {
		b.ReportMetric(float64((cpu-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	}
}

// processCPU is this process's user+system CPU time from /proc/self/stat
// (Linux; 0 elsewhere), in the kernel's 10 ms clock ticks.
func processCPU() time.Duration {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command name; utime and stime are the
	// 14th and 15th fields of the line.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(u+s) * 10 * time.Millisecond
}
