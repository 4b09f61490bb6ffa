package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/dakahq/daka/org"
)

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	User         struct {
		ID         string `json:"id"`
		Role       string `json:"role"`
		EmployeeID string `json:"employee_id"`
	} `json:"user"`
}

func TestAuth_Login(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ten := b.newTenant("acme")
	b.createEmployee(ten.Admin, "E-007", map[string]any{"email": "Bond@Acme.test", "phone": "138 0013 8000"})

	for _, tc := range []struct {
		name, login, password string
		status                int
		code                  string
	}{
		{"ByEmployeeNo", "E-007", testPassword, 200, ""},
		{"ByEmailAnyCase", "bond@acme.TEST", testPassword, 200, ""},
		{"ByPhoneAnyFormat", "+86 138-0013-8000", testPassword, 200, ""},
		{"WrongPassword", "E-007", "wrong password", 401, "invalid_credentials"},
		{"UnknownLogin", "nobody", testPassword, 401, "invalid_credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.do("POST", "/v1/auth/login", "", map[string]string{"tenant": "acme", "login": tc.login, "password": tc.password})
			want(t, r, tc.status, tc.code)
			if tc.status == 200 {
				var tok tokens
				r.JSON(t, &tok)
				if tok.AccessToken == "" || tok.RefreshToken == "" || tok.ExpiresIn != 900 || tok.User.Role != "employee" {
					t.Fatalf("unexpected tokens: %s", r.Body)
				}
			}
		})
	}
	t.Run("UnknownTenant", func(t *testing.T) {
		r := b.do("POST", "/v1/auth/login", "", map[string]string{"tenant": "nope", "login": "E-007", "password": testPassword})
		want(t, r, 401, "invalid_credentials")
	})
	t.Run("LeftEmployeeCannotLogIn", func(t *testing.T) {
		id := b.createEmployee(ten.Admin, "E-LEFT", nil)
		want(t, b.do("PATCH", "/v1/employees/"+id, ten.Admin, map[string]any{"status": "left"}), 200)
		want(t, b.do("POST", "/v1/auth/login", "", map[string]string{"tenant": "acme", "login": "E-LEFT", "password": testPassword}), 401)
	})
}

func TestAuth_FailedLoginsAreThrottled(t *testing.T) {
	t.Parallel()
	t.Run("PerAccount", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(o *org.Options) { o.MaxFailsAccount = 3 })
		b.newTenant("acme")
		bad := map[string]string{"tenant": "acme", "login": "admin@acme.test", "password": "nope"}
		for i := 0; i < 3; i++ {
			want(t, b.do("POST", "/v1/auth/login", "", bad), 401, "invalid_credentials")
		}
		r := b.do("POST", "/v1/auth/login", "", bad)
		want(t, r, 429, "too_many_attempts")
		if r.Header.Get("Retry-After") == "" {
			t.Error("no Retry-After header")
		}
		// Even the right password waits for the window to pass.
		good := map[string]string{"tenant": "acme", "login": "admin@acme.test", "password": testPassword}
		want(t, b.do("POST", "/v1/auth/login", "", good), 429, "too_many_attempts")
		b.clock.Advance(16 * time.Minute)
		want(t, b.do("POST", "/v1/auth/login", "", good), 200)
	})
	t.Run("PerClientAddress", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(o *org.Options) { o.MaxFailsAddress = 4 })
		b.newTenant("acme")
		for i := 0; i < 4; i++ {
			login := strings.Repeat("x", i+1) // a different account each time
			want(t, b.do("POST", "/v1/auth/login", "", map[string]string{"tenant": "acme", "login": login, "password": "nope"}), 401)
		}
		want(t, b.do("POST", "/v1/auth/login", "", map[string]string{"tenant": "acme", "login": "admin@acme.test", "password": testPassword}),
			429, "too_many_attempts")
	})
}

func TestAuth_RefreshRotatesAndReuseRevokesTheFamily(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.newTenant("acme")
	r := b.do("POST", "/v1/auth/login", "", map[string]string{"tenant": "acme", "login": "admin@acme.test", "password": testPassword})
	var first tokens
	r.JSON(t, &first)

	r = b.do("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": first.RefreshToken})
	want(t, r, 200)
	var second tokens
	r.JSON(t, &second)
	if second.RefreshToken == first.RefreshToken {
		t.Fatal("the refresh token was not rotated")
	}
	want(t, b.do("GET", "/v1/me", second.AccessToken, nil), 200)

	// The first token again: theft. Both it and its successor stop working.
	want(t, b.do("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": first.RefreshToken}), 401, "refresh_token_reused")
	want(t, b.do("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": second.RefreshToken}), 401, "invalid_refresh_token")
	want(t, b.do("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": "garbage"}), 401, "invalid_refresh_token")
}

func TestAuth_LogoutRevokes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.newTenant("acme")
	login := func() tokens {
		var tk tokens
		b.do("POST", "/v1/auth/login", "", map[string]string{"tenant": "acme", "login": "admin@acme.test", "password": testPassword}).JSON(t, &tk)
		return tk
	}
	one, two := login(), login()
	want(t, b.do("POST", "/v1/auth/logout", one.AccessToken, map[string]any{"refresh_token": one.RefreshToken}), 204)
	want(t, b.do("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": one.RefreshToken}), 401)
	want(t, b.do("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": two.RefreshToken}), 200)

	three := login()
	want(t, b.do("POST", "/v1/auth/logout", three.AccessToken, map[string]any{"all": true}), 204)
	want(t, b.do("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": three.RefreshToken}), 401)
}

func TestAuth_TokensAreChecked(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ten := b.newTenant("acme")
	forged := func(secret any, method jwt.SigningMethod) string {
		c := jwt.MapClaims{"iss": "daka", "aud": "daka-api", "sub": ten.AdminID.String(), "tid": ten.ID.String(),
			"role": "admin", "exp": time.Now().Add(time.Hour).Unix()}
		s, err := jwt.NewWithClaims(method, c).SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tc := range []struct {
		name, token, code string
	}{
		{"Missing", "", "unauthenticated"},
		{"Garbage", "not.a.jwt", "invalid_token"},
		{"OtherSecret", forged([]byte("another-secret-another-secret-123456"), jwt.SigningMethodHS256), "invalid_token"},
		{"AlgNone", forged(jwt.UnsafeAllowNoneSignatureType, jwt.SigningMethodNone), "invalid_token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.do("GET", "/v1/me", tc.token, nil)
			want(t, r, 401, tc.code)
			if r.Header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate header")
			}
		})
	}
	t.Run("Expired", func(t *testing.T) {
		want(t, b.do("GET", "/v1/me", ten.Admin, nil), 200)
		b.clock.Advance(time.Hour)
		want(t, b.do("GET", "/v1/me", ten.Admin, nil), 401, "token_expired")
	})
}

func TestAuth_ActivationCodeBindsTheApp(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ten := b.newTenant("acme")
	r := b.do("POST", "/v1/employees", ten.Admin, map[string]any{"employee_no": "E100", "name": "No Password Yet"})
	want(t, r, 201)
	emp := r.M(t)
	if emp["has_password"] != false {
		t.Fatalf("has_password = %v", emp["has_password"])
	}
	id := emp["id"].(string)
	// Nobody can log in to an account without a password.
	want(t, b.do("POST", "/v1/auth/login", "", map[string]string{"tenant": "acme", "login": "E100", "password": "anything at all"}), 401)

	r = b.do("POST", "/v1/employees/"+id+"/activation-code", ten.Admin, map[string]any{"ttl_hours": 2})
	want(t, r, 201)
	code := r.M(t)
	qr := code["qr_payload"].(string)
	if !strings.HasPrefix(qr, "daka://activate?") || !strings.Contains(qr, "tenant=acme") {
		t.Fatalf("qr payload %q", qr)
	}
	activate := func(c, pw string) *resp {
		return b.do("POST", "/v1/auth/activate", "", map[string]string{"tenant": "acme", "code": c, "password": pw})
	}
	want(t, activate("WRONG-CODE-0000", "my new password"), 401, "invalid_activation_code")
	want(t, activate(code["code"].(string), "short"), 422) // too short for the schema
	r = activate(strings.ToLower(code["code"].(string)), "my new password")
	want(t, r, 200)
	var tok tokens
	r.JSON(t, &tok)
	if tok.User.EmployeeID != id {
		t.Fatalf("bound to %s, want %s", tok.User.EmployeeID, id)
	}
	// One use only; the password now works.
	want(t, activate(code["code"].(string), "my new password"), 401, "invalid_activation_code")
	want(t, b.do("POST", "/v1/auth/login", "", map[string]string{"tenant": "acme", "login": "E100", "password": "my new password"}), 200)

	t.Run("Expires", func(t *testing.T) {
		r := b.do("POST", "/v1/employees/"+id+"/activation-code", ten.Admin, map[string]any{"ttl_hours": 1})
		c := r.M(t)["code"].(string)
		b.clock.Advance(61 * time.Minute)
		want(t, activate(c, "another password"), 401, "invalid_activation_code")
	})
	t.Run("OnlyAdminsIssue", func(t *testing.T) {
		admin := b.login("acme", "admin@acme.test", testPassword)
		b.createEmployee(admin, "M1", map[string]any{"role": "manager"})
		tokM := b.login("acme", "M1", testPassword)
		want(t, b.do(http.MethodPost, "/v1/employees/"+id+"/activation-code", tokM, nil), 403, "forbidden")
	})
}

func TestAuth_ChangePassword(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ten := b.newTenant("acme")
	want(t, b.do("POST", "/v1/me/password", ten.Admin, map[string]string{"current_password": "wrong one", "new_password": "brand new password"}), 422)
	want(t, b.do("POST", "/v1/me/password", ten.Admin, map[string]string{"current_password": testPassword, "new_password": "brand new password"}), 204)
	want(t, b.do("POST", "/v1/auth/login", "", map[string]string{"tenant": "acme", "login": "admin@acme.test", "password": testPassword}), 401)
	b.login("acme", "admin@acme.test", "brand new password")
}
