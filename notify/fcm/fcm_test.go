package fcm_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dakahq/daka/internal/fcmfake"
	"github.com/dakahq/daka/notify"
	"github.com/dakahq/daka/notify/fcm"
)

func provider(t *testing.T) (*fcm.Provider, *fcmfake.Server) {
	t.Helper()
	fake := fcmfake.New(t)
	p, err := fcm.New(context.Background(), fcm.Config{ProjectID: "demo-test", Endpoint: fake.Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	return p, fake
}

func TestSend(t *testing.T) {
	t.Parallel()
	t.Run("DeliversThroughTheRealSDKAtFCMsPath", func(t *testing.T) {
		t.Parallel()
		p, fake := provider(t)
		res, err := p.Send(context.Background(), notify.Push{Token: "tok-1", Platform: "android", Title: "审批", Body: "补卡申请",
			Data: map[string]string{"type": "approval.requested", "request_id": "r1"}, CollapseID: "0190f3c2-7a1b-7c3d-8e4f-5a6b7c8d9e0f"})
		if err != nil || res.Outcome != notify.Delivered {
			t.Fatalf("result %+v, err %v", res, err)
		}
		calls := fake.Calls()
		if len(calls) != 1 {
			t.Fatalf("%d calls", len(calls))
		}
		c := calls[0]
		if c.Project != "demo-test" || res.MessageID != c.Name || c.Header.Get("Authorization") != "" {
			t.Errorf("project %q, message id %q vs %q, authorization %q", c.Project, res.MessageID, c.Name, c.Header.Get("Authorization"))
		}
		m := c.Message
		if m.Token != "tok-1" || m.Notification == nil || m.Notification.Title != "审批" || m.Notification.Body != "补卡申请" ||
			m.Data["request_id"] != "r1" || m.Data["type"] != "approval.requested" {
			t.Errorf("message %s", c.Raw)
		}
		if m.Android == nil || m.Android.Priority != "high" || m.Android.Notification == nil ||
			m.Android.Notification.Tag != "0190f3c2-7a1b-7c3d-8e4f-5a6b7c8d9e0f" || m.Android.CollapseKey != "" {
			t.Errorf("android %s", c.Raw)
		}
		if m.APNS == nil || m.APNS.Headers["apns-collapse-id"] != "0190f3c2-7a1b-7c3d-8e4f-5a6b7c8d9e0f" {
			t.Errorf("apns %s", c.Raw)
		}
		if m.Webpush == nil || m.Webpush.Headers["Topic"] != "0190f3c27a1b7c3d8e4f5a6b7c8d9e0f" {
			t.Errorf("webpush %s", c.Raw)
		}
	})
	for _, tc := range []struct {
		name  string
		fault fcmfake.Fault
		want  notify.Outcome
	}{
		{"UnregisteredTokenIsInvalid", fcmfake.Unregistered, notify.TokenInvalid},
		{"InvalidArgumentWithFcmErrorIsAnInvalidToken", fcmfake.InvalidToken, notify.TokenInvalid},
		{"SenderIDMismatchIsAnInvalidToken", fcmfake.SenderIDMismatch, notify.TokenInvalid},
		{"InternalIsRetried", fcmfake.Internal, notify.RetryLater},
		{"QuotaExceededIsRetried", fcmfake.QuotaExceeded, notify.RetryLater},
		{"ThirdPartyAuthKeepsTheTokenAndRetries", fcmfake.ThirdPartyAuth, notify.RetryLater},
		{"BadPayloadWithoutFcmErrorIsRejected", fcmfake.BadPayload, notify.Rejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, fake := provider(t)
			fake.Script("tok", tc.fault)
			res, err := p.Send(context.Background(), notify.Push{Token: "tok", Title: "t", Body: "b"})
			if err != nil || res.Outcome != tc.want || res.Reason == "" {
				t.Fatalf("result %+v, err %v; want %v", res, err, tc.want)
			}
			res, err = p.Send(context.Background(), notify.Push{Token: "tok", Title: "t", Body: "b"})
			if err != nil || res.Outcome != notify.Delivered {
				t.Fatalf("the script is spent, yet %+v %v", res, err)
			}
		})
	}
	t.Run("AnUnreachableEndpointIsRetried", func(t *testing.T) {
		t.Parallel()
		p, err := fcm.New(context.Background(), fcm.Config{ProjectID: "demo-test", Endpoint: "http://127.0.0.1:1/v1"})
		if err != nil {
			t.Fatal(err)
		}
		// The SDK retries connection failures itself; the job's deadline ends that.
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		res, err := p.Send(ctx, notify.Push{Token: "tok", Title: "t", Body: "b"})
		if err != nil || res.Outcome != notify.RetryLater {
			t.Fatalf("result %+v, err %v", res, err)
		}
	})
	t.Run("OversizedPayloadIsRejected", func(t *testing.T) {
		t.Parallel()
		p, _ := provider(t)
		big := make([]byte, 5000)
		for i := range big {
			big[i] = 'x'
		}
		res, err := p.Send(context.Background(), notify.Push{Token: "tok", Title: "t", Body: "b", Data: map[string]string{"k": string(big)}})
		if err != nil || res.Outcome != notify.Rejected {
			t.Fatalf("result %+v, err %v", res, err)
		}
	})
}

// TestNew is not parallel: a subtest sets the environment.
func TestNew(t *testing.T) {
	t.Run("RefusesAnEmptyConfig", func(t *testing.T) {
		if _, err := fcm.New(context.Background(), fcm.Config{ProjectID: "p"}); !errors.Is(err, fcm.ErrNotConfigured) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("NeedsAProjectWithoutCredentials", func(t *testing.T) {
		t.Setenv("GOOGLE_CLOUD_PROJECT", "")
		t.Setenv("GCLOUD_PROJECT", "")
		if _, err := fcm.New(context.Background(), fcm.Config{Endpoint: "http://127.0.0.1:1/v1"}); err == nil {
			t.Fatal("no error without a project id")
		}
	})
}

// TestCredentialsFile sends with a service account key file, as
// DAKA_FCM_CREDENTIALS_FILE configures: the SDK signs in at the key's
// token_uri (a local token server here) and sends a bearer token to FCM.
func TestCredentialsFile(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"ya29.test-token","token_type":"Bearer","expires_in":3600}`)
	}))
	defer tokens.Close()
	sa, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "key-project", "private_key_id": "k1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "daka@key-project.iam.gserviceaccount.com", "client_id": "1", "token_uri": tokens.URL,
	})
	file := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(file, sa, 0o600); err != nil {
		t.Fatal(err)
	}
	fake := fcmfake.New(t)
	p, err := fcm.New(context.Background(), fcm.Config{CredentialsFile: file, Endpoint: fake.Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Send(context.Background(), notify.Push{Token: "tok", Title: "t", Body: "b"})
	if err != nil || res.Outcome != notify.Delivered {
		t.Fatalf("result %+v, err %v", res, err)
	}
	c := fake.Calls()[0]
	if c.Project != "key-project" || !strings.HasPrefix(c.Header.Get("Authorization"), "Bearer ") {
		t.Fatalf("project %q, authorization %q", c.Project, c.Header.Get("Authorization"))
	}
}
