package webhook_test

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/dakahq/daka/notify/webhook"
)

// The reference vector of the Standard Webhooks libraries.
const (
	refSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	refID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	refTS     = 1614265330
	refBody   = `{"test": 2432232314}`
	refSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSign(t *testing.T) {
	t.Parallel()
	t.Run("MatchesTheStandardWebhooksReferenceVector", func(t *testing.T) {
		t.Parallel()
		key, err := webhook.DecodeSecret(refSecret)
		if err != nil {
			t.Fatal(err)
		}
		if got := webhook.Sign(key, refID, time.Unix(refTS, 0), []byte(refBody)); got != refSig {
			t.Fatalf("signature %s, want %s", got, refSig)
		}
	})
	t.Run("NewSecretsAreWhsecBase64Of32Bytes", func(t *testing.T) {
		t.Parallel()
		a, err := webhook.NewSecret()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := webhook.NewSecret()
		if !strings.HasPrefix(a, "whsec_") || a == b {
			t.Fatalf("secrets %q %q", a, b)
		}
		key, err := webhook.DecodeSecret(a)
		if err != nil || len(key) != 32 {
			t.Fatalf("key %d bytes, %v", len(key), err)
		}
	})
	t.Run("RefusesSecretsThatAreNotWhsecBase64", func(t *testing.T) {
		t.Parallel()
		for _, s := range []string{"", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_***", "whsec_c2hvcnQ="} {
			if _, err := webhook.DecodeSecret(s); !errors.Is(err, webhook.ErrBadSecret) {
				t.Errorf("%q: %v", s, err)
			}
		}
	})
}

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(refTS, 0)
	headers := func(id, ts, sig string) http.Header {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", sig)
		return h
	}
	for _, tc := range []struct {
		name string
		h    http.Header
		body string
		now  time.Time
		want error
	}{
		{"AcceptsTheReferenceDelivery", headers(refID, "1614265330", refSig), refBody, now, nil},
		{"AcceptsOneMatchAmongSeveralSignatures", headers(refID, "1614265330", "v1,Zm9v "+refSig), refBody, now, nil},
		{"RefusesATamperedBody", headers(refID, "1614265330", refSig), `{"test": 1}`, now, webhook.ErrNoMatch},
		{"RefusesAnotherID", headers("msg_other", "1614265330", refSig), refBody, now, webhook.ErrNoMatch},
		{"RefusesAnOldTimestamp", headers(refID, "1614265330", refSig), refBody, now.Add(6 * time.Minute), webhook.ErrTimestampOutside},
		{"RefusesAFutureTimestamp", headers(refID, "1614265330", refSig), refBody, now.Add(-6 * time.Minute), webhook.ErrTimestampOutside},
		{"RefusesAGarbledTimestamp", headers(refID, "yesterday", refSig), refBody, now, webhook.ErrBadTimestamp},
		{"RefusesMissingHeaders", headers(refID, "", refSig), refBody, now, webhook.ErrMissingHeaders},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := webhook.Verify(refSecret, tc.h, []byte(tc.body), tc.now, 5*time.Minute)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("SetHeadersProducesWhatVerifyAccepts", func(t *testing.T) {
		t.Parallel()
		key, _ := webhook.DecodeSecret(refSecret)
		h := http.Header{}
		webhook.SetHeaders(h, key, "evt", now, []byte("{}"))
		if err := webhook.Verify(refSecret, h, []byte("{}"), now, time.Minute); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPolicy(t *testing.T) {
	t.Parallel()
	strict := webhook.Policy{}
	loop := webhook.Policy{AllowLoopback: true}
	private := webhook.Policy{AllowPrivate: true}
	for _, tc := range []struct {
		addr                  string
		strict, loop, private bool
	}{
		{"93.184.216.34", true, true, true},
		{"2606:4700::1111", true, true, true},
		{"127.0.0.1", false, true, true},
		{"::1", false, true, true},
		{"::ffff:127.0.0.1", false, true, true},
		{"10.1.2.3", false, false, true},
		{"172.16.0.1", false, false, true},
		{"192.168.1.10", false, false, true},
		{"100.64.0.1", false, false, true},
		{"fd00::1", false, false, true},
		{"169.254.169.254", false, false, false}, // cloud metadata
		{"fe80::1", false, false, false},
		{"0.0.0.0", false, false, false},
		{"::", false, false, false},
		{"224.0.0.1", false, false, false},
		{"255.255.255.255", false, false, false},
		{"64:ff9b::a9fe:a9fe", false, false, false}, // NAT64 wrapping 169.254.169.254
		{"198.18.0.1", false, false, false},
	} {
		t.Run(strings.NewReplacer(".", "_", ":", "_").Replace(tc.addr), func(t *testing.T) {
			t.Parallel()
			ip := netip.MustParseAddr(tc.addr)
			if got := strict.Allowed(ip); got != tc.strict {
				t.Errorf("strict: %v", got)
			}
			if got := loop.Allowed(ip); got != tc.loop {
				t.Errorf("loopback allowed: %v", got)
			}
			if got := private.Allowed(ip); got != tc.private {
				t.Errorf("private allowed: %v", got)
			}
			if err := strict.Control("tcp", netip.AddrPortFrom(ip, 443).String(), nil); (err == nil) != tc.strict {
				t.Errorf("control: %v", err)
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		url       string
		allowHTTP bool
		ok        bool
	}{
		{"HTTPSName", "https://payroll.example.com/hooks/daka", false, true},
		{"HTTPSPublicIP", "https://93.184.216.34/hook", false, true},
		{"HTTPRefused", "http://payroll.example.com/hook", false, false},
		{"HTTPToANameRefusedEvenWhenAllowed", "http://payroll.example.com/hook", true, false},
		{"HTTPLoopbackWhenAllowed", "http://127.0.0.1:8080/hook", true, true},
		{"HTTPLocalhostWhenAllowed", "http://localhost:8080/hook", true, true},
		{"HTTPLoopbackRefusedByDefault", "http://127.0.0.1:8080/hook", false, false},
		{"HTTPSLoopbackRefusedByDefault", "https://127.0.0.1/hook", false, false},
		{"PrivateIPRefused", "https://10.0.0.5/hook", false, false},
		{"MetadataRefused", "https://169.254.169.254/latest", true, false},
		{"CredentialsRefused", "https://user:pw@payroll.example.com/hook", false, false},
		{"FragmentRefused", "https://payroll.example.com/hook#x", false, false},
		{"RelativeRefused", "/hook", false, false},
		{"OtherSchemeRefused", "ftp://payroll.example.com/", false, false},
		{"Garbage", "https://%zz", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := webhook.Policy{}.CheckURL(tc.url, tc.allowHTTP)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
