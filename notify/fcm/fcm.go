// Package fcm is the Firebase Cloud Messaging push provider: it sends
// notify.Push messages through firebase.google.com/go/v4 (the HTTP v1 API)
// and sorts FCM's answers into the outcomes notify acts on.
package fcm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	firebase "firebase.google.com/go/v4"
	"firebase.google.com/go/v4/errorutils"
	"firebase.google.com/go/v4/messaging"
	"google.golang.org/api/option"

	"github.com/dakahq/daka/notify"
)

// Name is the provider key FCM tokens carry.
const Name = "fcm"

// ErrNotConfigured is New without credentials or an endpoint.
var ErrNotConfigured = errors.New("fcm: neither credentials nor an endpoint are configured")

// Config says how to reach FCM.
type Config struct {
	// ProjectID is the Firebase project (DAKA_FCM_PROJECT_ID). It may be
	// left empty when the credentials file names it.
	ProjectID string
	// CredentialsFile is a service account JSON key (DAKA_FCM_CREDENTIALS_FILE).
	CredentialsFile string
	// Endpoint replaces https://fcm.googleapis.com/v1 (DAKA_FCM_ENDPOINT):
	// a proxy that reaches Google for a network that cannot, or a local fake
	// in tests. Without CredentialsFile, requests go unauthenticated (the
	// proxy adds credentials).
	Endpoint string
	// HTTPClient replaces the transport (tests, benchmarks); it carries no
	// credentials, so requests go unauthenticated.
	HTTPClient *http.Client
}

// Enabled reports whether c configures push at all.
func (c Config) Enabled() bool { return c.CredentialsFile != "" || c.Endpoint != "" }

// Provider sends pushes through FCM.
type Provider struct {
	client *messaging.Client
}

var _ notify.Provider = (*Provider)(nil)

// New builds the FCM client. It does not call FCM.
func New(ctx context.Context, c Config) (*Provider, error) {
	if !c.Enabled() {
		return nil, ErrNotConfigured
	}
	var opts []option.ClientOption
	switch {
	case c.HTTPClient != nil:
		opts = append(opts, option.WithHTTPClient(c.HTTPClient))
	case c.CredentialsFile != "":
		opts = append(opts, option.WithCredentialsFile(c.CredentialsFile))
	default:
		opts = append(opts, option.WithoutAuthentication())
	}
	if c.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(strings.TrimRight(c.Endpoint, "/")))
	}
	var cfg *firebase.Config
	if c.ProjectID != "" {
		cfg = &firebase.Config{ProjectID: c.ProjectID}
	}
	app, err := firebase.NewApp(ctx, cfg, opts...)
	if err != nil {
		return nil, fmt.Errorf("fcm: %w", err)
	}
	client, err := app.Messaging(ctx)
	if err != nil {
		return nil, fmt.Errorf("fcm: %w", err)
	}
	return &Provider{client: client}, nil
}

// Name is "fcm".
func (p *Provider) Name() string { return Name }

// Send delivers one push and classifies FCM's answer.
func (p *Provider) Send(ctx context.Context, m notify.Push) (notify.Result, error) {
	id, err := p.client.Send(ctx, Message(m))
	if err == nil {
		return notify.Result{Outcome: notify.Delivered, MessageID: id}, nil
	}
	return Classify(err), nil
}

// Message builds the FCM message for a push. The collapse id goes where each
// platform replaces a notification instead of adding one: the Android
// notification tag, APNs apns-collapse-id and the Web Push Topic header. (The
// Android collapse_key is not used: FCM keeps at most four per device.)
func Message(m notify.Push) *messaging.Message {
	msg := &messaging.Message{
		Token:        m.Token,
		Notification: &messaging.Notification{Title: m.Title, Body: m.Body},
		Data:         m.Data,
		Android:      &messaging.AndroidConfig{Priority: "high"},
		APNS: &messaging.APNSConfig{
			Headers: map[string]string{"apns-priority": "10"},
			Payload: &messaging.APNSPayload{Aps: &messaging.Aps{Sound: "default"}},
		},
	}
	if m.CollapseID != "" {
		msg.Android.Notification = &messaging.AndroidNotification{Tag: m.CollapseID}
		if len(m.CollapseID) <= 64 {
			msg.APNS.Headers["apns-collapse-id"] = m.CollapseID
		}
		if topic := webpushTopic(m.CollapseID); topic != "" {
			msg.Webpush = &messaging.WebpushConfig{Headers: map[string]string{"Topic": topic}}
		}
	}
	return msg
}

// webpushTopic fits an id into Web Push's Topic header: at most 32
// characters of the URL-safe base64 alphabet (a UUID without its dashes).
func webpushTopic(id string) string {
	t := strings.ReplaceAll(id, "-", "")
	if len(t) > 32 {
		return ""
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return ""
		}
	}
	return t
}

// Classify maps an FCM error to an outcome, following FCM's error codes:
// UNREGISTERED, INVALID_ARGUMENT with an FcmError detail and
// SENDER_ID_MISMATCH mean the token is dead; QUOTA_EXCEEDED, UNAVAILABLE,
// INTERNAL, other 5xx and transport failures are transient;
// INVALID_ARGUMENT without an FcmError detail is a payload FCM will never
// take. THIRD_PARTY_AUTH_ERROR (APNs or Web Push credentials) and this
// server's own authentication failures keep the token and retry, for the
// operator to fix.
func Classify(err error) notify.Result {
	reason := func(code string) string {
		return truncate(code+": "+err.Error(), 300)
	}
	switch {
	case messaging.IsUnregistered(err):
		return notify.Result{Outcome: notify.TokenInvalid, Reason: reason("UNREGISTERED")}
	case messaging.IsInvalidArgument(err):
		return notify.Result{Outcome: notify.TokenInvalid, Reason: reason("INVALID_ARGUMENT")}
	case messaging.IsSenderIDMismatch(err):
		return notify.Result{Outcome: notify.TokenInvalid, Reason: reason("SENDER_ID_MISMATCH")}
	case messaging.IsQuotaExceeded(err), errorutils.IsResourceExhausted(err):
		return notify.Result{Outcome: notify.RetryLater, Reason: reason("QUOTA_EXCEEDED")}
	case messaging.IsUnavailable(err), errorutils.IsUnavailable(err):
		return notify.Result{Outcome: notify.RetryLater, Reason: reason("UNAVAILABLE")}
	case messaging.IsInternal(err), errorutils.IsInternal(err), errorutils.IsUnknown(err):
		return notify.Result{Outcome: notify.RetryLater, Reason: reason("INTERNAL")}
	case messaging.IsThirdPartyAuthError(err):
		return notify.Result{Outcome: notify.RetryLater, Reason: reason("THIRD_PARTY_AUTH_ERROR")}
	case errorutils.IsInvalidArgument(err):
		return notify.Result{Outcome: notify.Rejected, Reason: reason("INVALID_PAYLOAD")}
	case errorutils.IsUnauthenticated(err), errorutils.IsPermissionDenied(err):
		return notify.Result{Outcome: notify.RetryLater, Reason: reason("SERVER_AUTH")}
	}
	return notify.Result{Outcome: notify.RetryLater, Reason: reason("ERROR")}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
