package attendance

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/media"
	"github.com/dakahq/daka/org"
)

func TestPhotoOptionsDefaults(t *testing.T) {
	t.Parallel()
	o := PhotoOptions{}.withDefaults()
	if o.MaxBytes != 15<<20 || o.Limits.MaxBytes != o.MaxBytes || o.Concurrency != runtime.GOMAXPROCS(0) ||
		o.QueueWait != 2*time.Second || o.ReuseWindow != 30*24*time.Hour || o.ReuseMaxDistance != media.PHashSameImage ||
		o.URLTTL != 5*time.Minute || o.UploadURLTTL != 15*time.Minute || o.AbandonAfter != 24*time.Hour {
		t.Errorf("defaults %+v", o)
	}
	if o := (PhotoOptions{MaxBytes: 1 << 20, Limits: media.Limits{MaxBytes: 99}}).withDefaults(); o.Limits.MaxBytes != 1<<20 {
		t.Errorf("MaxBytes must override Limits.MaxBytes: %d", o.Limits.MaxBytes)
	}
}

func TestInSlot(t *testing.T) {
	t.Parallel()
	s := &Service{ph: newPhotoState(nil, PhotoOptions{Concurrency: 1, QueueWait: 20 * time.Millisecond})}
	ctx := context.Background()

	t.Run("RunsWhenASlotIsFree", func(t *testing.T) {
		ran := false
		if err := s.inSlot(ctx, func() error { ran = true; return nil }); err != nil || !ran {
			t.Fatalf("ran=%t err=%v", ran, err)
		}
	})
	t.Run("FullHouseIsBusyWithRetryAfter", func(t *testing.T) {
		s.ph.slots <- struct{}{}
		defer func() { <-s.ph.slots }()
		start := time.Now()
		err := s.inSlot(ctx, func() error { t.Error("ran without a slot"); return nil })
		e, ok := errs.As(err)
		if !ok || e.Kind != errs.Unavailable || e.Code != "busy" || e.RetryAfter != 2*time.Second {
			t.Fatalf("got %v, want Unavailable busy with RetryAfter 2s", err)
		}
		if waited := time.Since(start); waited < 20*time.Millisecond {
			t.Errorf("gave up after %s, before QueueWait", waited)
		}
	})
	t.Run("WaitsForASlotToFreeUp", func(t *testing.T) {
		s.ph.slots <- struct{}{}
		go func() { time.Sleep(5 * time.Millisecond); <-s.ph.slots }()
		if err := s.inSlot(ctx, func() error { return nil }); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ReleasesTheSlotWhenFnFails", func(t *testing.T) {
		boom := errors.New("boom")
		if err := s.inSlot(ctx, func() error { return boom }); err != boom {
			t.Fatal(err)
		}
		if len(s.ph.slots) != 0 {
			t.Fatal("slot leaked")
		}
	})
}

func TestRefusal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		kind errs.Kind
		code string
		msg  string
	}{
		{"HEIC", &media.UnsupportedTypeError{Type: "heic"}, errs.Unsupported, "unsupported_image_type", "convert the photo to JPEG"},
		{"Unknown", &media.UnsupportedTypeError{Type: "unknown"}, errs.Unsupported, "unsupported_image_type", "send JPEG"},
		{"TooLarge", fmt.Errorf("%w: 9000×9000", media.ErrTooLarge), errs.TooLarge, "image_too_large", "9000×9000"},
		{"TooSmall", fmt.Errorf("%w: 10×10", media.ErrTooSmall), errs.Invalid, "image_too_small", "10×10"},
		{"Corrupt", fmt.Errorf("%w: truncated", media.ErrCorrupt), errs.Invalid, "corrupt_image", "truncated"},
		{"DomainErrorsPassThrough", errs.New(errs.TooLarge, "body_too_large", "big"), errs.TooLarge, "body_too_large", "big"},
		{"AnythingElseIsInternal", errors.New("disk on fire"), errs.Internal, "", "disk on fire"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := refusal(tc.err)
			if errs.KindOf(err) != tc.kind || errs.CodeOf(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got kind %d code %q %q", errs.KindOf(err), errs.CodeOf(err), err)
			}
			if strings.HasPrefix(err.Error(), "media: ") {
				t.Errorf("the client-facing message keeps the package prefix: %q", err)
			}
		})
	}
}

func TestRefusalForStoredCodes(t *testing.T) {
	t.Parallel()
	for code, r := range refusals {
		err := refusalFor(&code)
		if errs.KindOf(err) != r.Kind || errs.CodeOf(err) != code {
			t.Errorf("%s: got %v", code, err)
		}
	}
	if errs.CodeOf(refusalFor(nil)) != "corrupt_image" {
		t.Error("a failed photo without a code must still be refused")
	}
}

func TestPhotosDisabledWithoutAStore(t *testing.T) {
	t.Parallel()
	s := &Service{ph: newPhotoState(nil, PhotoOptions{})}
	_, _, err := s.UploadPhoto(context.Background(), org.Actor{}, strings.NewReader("x"))
	if errs.KindOf(err) != errs.Unavailable || errs.CodeOf(err) != "photos_unavailable" {
		t.Errorf("got %v", err)
	}
	if ran, _, err := s.PhotoRetentionPass(context.Background()); ran || err != nil {
		t.Errorf("retention without a store: ran=%t err=%v", ran, err)
	}
}
