package api

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/dakahq/daka/attendance"
	"github.com/dakahq/daka/internal/errs"
)

// mediaPrefix is where the local store's signed URLs are served
// (localstore.MountPath). It is outside the spec: the handler speaks plain
// HTTP with its own signatures, not the JSON API.
const mediaPrefix = "/v1/media/"

// photoMultipartSlack is what a multipart body may carry beyond the photo
// itself (boundaries, part headers), so an oversized photo is refused by
// the pipeline as image_too_large rather than by the body limit.
const photoMultipartSlack = 1 << 20

// addPhotoLimits gives the multipart upload route a body limit that fits
// the largest accepted photo.
func addPhotoLimits(limits map[string]int64, att *attendance.Service) {
	if att != nil {
		limits["/v1/me/photos"] = att.PhotoMaxBytes() + photoMultipartSlack
	}
}

// exceptMedia skips mw for the local store's signed URLs: the handler
// enforces its own upload limit, which is larger than the JSON body limit.
func exceptMedia(mw echo.MiddlewareFunc) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		wrapped := mw(next)
		return func(c echo.Context) error {
			if strings.HasPrefix(c.Request().URL.Path, mediaPrefix) {
				return next(c)
			}
			return wrapped(c)
		}
	}
}

// mountMedia serves the local store's signed GET and PUT URLs. With S3 the
// URLs point at the S3 service and h is nil. The store's plain-text errors
// become problems like every other error of the API.
func mountMedia(e *echo.Echo, h http.Handler) {
	if h == nil {
		return
	}
	e.Any(mediaPrefix+"*", func(c echo.Context) error {
		w := &mediaWriter{ResponseWriter: c.Response()}
		h.ServeHTTP(w, c.Request())
		if w.failed == 0 {
			return nil
		}
		return mediaProblem(w.failed)
	})
}

// mediaWriter passes a successful answer through and holds back an error
// status and its body, for errorHandler to write as a problem.
type mediaWriter struct {
	http.ResponseWriter
	failed int
}

func (w *mediaWriter) WriteHeader(code int) {
	if code >= http.StatusBadRequest {
		w.failed = code
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *mediaWriter) Write(b []byte) (int, error) {
	if w.failed != 0 {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// mediaProblem names the local store handler's refusals.
func mediaProblem(status int) error {
	switch status {
	case http.StatusForbidden:
		return errs.New(errs.Forbidden, "invalid_signature",
			"the URL is not validly signed, has expired, or the request does not match what was signed (method, Content-Type)")
	case http.StatusNotFound:
		return errs.New(errs.NotFound, "not_found", "no object at this URL")
	case http.StatusRequestEntityTooLarge:
		return errs.New(errs.TooLarge, "body_too_large", "the upload is larger than the server accepts")
	case http.StatusBadRequest:
		return errs.New(errs.BadRequest, "malformed_request", "the upload body ended before its Content-Length")
	}
	return echo.NewHTTPError(status, http.StatusText(status))
}

// UploadMyPhoto accepts a photo as multipart field "file".
func (s *Server) UploadMyPhoto(ctx context.Context, r UploadMyPhotoRequestObject) (UploadMyPhotoResponseObject, error) {
	if r.Body == nil {
		return nil, errs.New(errs.BadRequest, "malformed_request", "send the photo as multipart/form-data field \"file\"")
	}
	f, err := photoPart(r.Body)
	if err != nil {
		return nil, err
	}
	p, created, err := s.att.UploadPhoto(ctx, actorFrom(ctx), f)
	if err != nil {
		if b, ok := busy(err); ok {
			return b, nil
		}
		return nil, err
	}
	if !created {
		return UploadMyPhoto200JSONResponse(fromPhoto(p, nil)), nil
	}
	return UploadMyPhoto201JSONResponse(fromPhoto(p, nil)), nil
}

// CreateMyPhotoUpload hands out a signed URL for a direct upload.
func (s *Server) CreateMyPhotoUpload(ctx context.Context, r CreateMyPhotoUploadRequestObject) (CreateMyPhotoUploadResponseObject, error) {
	u, err := s.att.CreatePhotoUpload(ctx, actorFrom(ctx), string(r.Body.ContentType), r.Body.Size)
	if err != nil {
		return nil, err
	}
	return CreateMyPhotoUpload201JSONResponse{Id: u.PhotoID, UploadUrl: u.URL, Method: PhotoUploadMethod(u.Method),
		Headers: u.Headers, ExpiresAt: u.ExpiresAt}, nil
}

// CompleteMyPhotoUpload processes a direct upload (idempotent).
func (s *Server) CompleteMyPhotoUpload(ctx context.Context, r CompleteMyPhotoUploadRequestObject) (CompleteMyPhotoUploadResponseObject, error) {
	p, err := s.att.CompletePhotoUpload(ctx, actorFrom(ctx), r.Id)
	if err != nil {
		if b, ok := busy(err); ok {
			return b, nil
		}
		return nil, err
	}
	return CompleteMyPhotoUpload200JSONResponse(fromPhoto(p, nil)), nil
}

// GetMyPhoto returns one of the caller's photos with signed URLs.
func (s *Server) GetMyPhoto(ctx context.Context, r GetMyPhotoRequestObject) (GetMyPhotoResponseObject, error) {
	p, urls, err := s.att.MyPhoto(ctx, actorFrom(ctx), r.Id)
	if err != nil {
		return nil, err
	}
	return GetMyPhoto200JSONResponse(fromPhoto(p, urls)), nil
}

// GetPhoto returns a photo the manager or admin may see, with signed URLs.
func (s *Server) GetPhoto(ctx context.Context, r GetPhotoRequestObject) (GetPhotoResponseObject, error) {
	p, urls, err := s.att.GetPhoto(ctx, actorFrom(ctx), r.Id)
	if err != nil {
		return nil, err
	}
	return GetPhoto200JSONResponse(fromPhoto(p, urls)), nil
}

// photoPart finds the "file" part of a multipart body.
func photoPart(mr *multipart.Reader) (io.Reader, error) {
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, errs.FieldErr("file", "required", "send the photo in the multipart field \"file\"")
		}
		if err != nil {
			if e, ok := errs.As(err); ok {
				return nil, e
			}
			return nil, errs.New(errs.BadRequest, "malformed_request", "the multipart body cannot be read: %v", err)
		}
		if p.FormName() == "file" {
			return p, nil
		}
	}
}

// busyAnswer sets Retry-After on a 503 busy and hands the error on to the
// one problem writer (errorHandler), which keeps headers already set.
type busyAnswer struct{ err *errs.Error }

// busy reports whether err asks the client to come back later.
func busy(err error) (busyAnswer, bool) {
	e, ok := errs.As(err)
	if !ok || e.Kind != errs.Unavailable || e.RetryAfter <= 0 {
		return busyAnswer{}, false
	}
	return busyAnswer{e}, true
}

func (b busyAnswer) visit(w http.ResponseWriter) error {
	w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(b.err.RetryAfter.Seconds()))))
	return b.err
}

// VisitUploadMyPhotoResponse implements UploadMyPhotoResponseObject.
func (b busyAnswer) VisitUploadMyPhotoResponse(w http.ResponseWriter) error { return b.visit(w) }

// VisitCompleteMyPhotoUploadResponse implements CompleteMyPhotoUploadResponseObject.
func (b busyAnswer) VisitCompleteMyPhotoUploadResponse(w http.ResponseWriter) error {
	return b.visit(w)
}

func fromPhoto(p attendance.Photo, urls *attendance.PhotoURLs) Photo {
	out := Photo{Id: p.ID, EmployeeId: p.EmployeeID, Status: PhotoStatus(p.Status), CreatedAt: p.CreatedAt,
		CompletedAt: nul(p.CompletedAt), RetainUntil: p.ExpiresAt, DeletedAt: nul(p.DeletedAt)}
	if p.FailureCode != nil {
		out.FailureCode = nul(p.FailureCode)
	}
	if p.Status == attendance.PhotoReady {
		out.Format, out.Width, out.Height, out.Bytes = nul(&p.Format), nul(&p.Width), nul(&p.Height), nul(&p.Bytes)
		sum := hex.EncodeToString(p.SHA256)
		out.Sha256 = nul(&sum)
		x := PhotoExif{CaptureTime: nul(p.EXIF.CaptureTime), CaptureOffsetKnown: p.EXIF.CaptureOffsetKnown,
			Make: p.EXIF.Make, Model: p.EXIF.Model, Software: p.EXIF.Software, Gps: nul[PhotoGps](nil)}
		if g := p.EXIF.GPS; g != nil {
			x.Gps = nul(&PhotoGps{Lat: g.Lat, Lng: g.Lng, AltitudeM: nul(g.AltitudeM)})
		}
		out.Exif = nul(&x)
		out.Reused = nul[PhotoReuse](nil)
		if r := p.Reuse; r != nil {
			out.Reused = nul(&PhotoReuse{Of: r.Of, Distance: r.Distance, Exact: r.Exact, SameEmployee: r.SameEmployee})
		}
	}
	if urls != nil {
		out.Url, out.ThumbnailUrl, out.ExpiresAt = nul(&urls.URL), nul(&urls.ThumbnailURL), nul(&urls.ExpiresAt)
	}
	return out
}
