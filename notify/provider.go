package notify

import "context"

// Push is one message to one device token, as a provider sends it.
type Push struct {
	Token    string
	Platform string // android, ios, web, huawei, ... as the app registered it
	Title    string
	Body     string
	// Data is the payload the app routes on: the message's Data plus "type"
	// and "notification_id".
	Data map[string]string
	// CollapseID is the notification id. Providers pass it as the device-side
	// replace key (Android notification tag, APNs apns-collapse-id, Web Push
	// Topic), so a push sent twice in the at-least-once window shows once.
	CollapseID string
}

// Outcome is what a provider made of a push.
type Outcome int

// The outcomes a provider reports.
const (
	// Delivered: the provider accepted the message for the device.
	Delivered Outcome = iota + 1
	// TokenInvalid: the token will never work again (app uninstalled, token
	// expired, malformed, another sender's): remove it.
	TokenInvalid
	// RetryLater: a transient failure (5xx, 429, network): try again with backoff.
	RetryLater
	// Rejected: the provider refused this message for good (a payload the
	// provider will not take); retrying would not help and the token is fine.
	Rejected
)

// String names the outcome as delivery records store it.
func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case TokenInvalid:
		return "token_invalid"
	case RetryLater:
		return "retry_later"
	case Rejected:
		return "rejected"
	}
	return "unknown"
}

// Result is a provider's answer for one push.
type Result struct {
	Outcome   Outcome
	MessageID string // the provider's id for a delivered message
	Reason    string // the provider's error code or message, for logs and delivery records
}

// Provider is one push channel: FCM, or a vendor channel (Huawei HMS, Xiaomi,
// OPPO, vivo, ...). Each push token names its provider, and push jobs are
// routed by it, so a new channel is a new Provider passed in Options and
// callers of NotifyTx never change.
type Provider interface {
	// Name is the provider key push tokens carry ("fcm", "hms", ...).
	Name() string
	// Send delivers one push. A classified failure is a Result with its
	// Outcome; a non-nil error is an unexpected failure and is retried.
	Send(ctx context.Context, p Push) (Result, error)
}
