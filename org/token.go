package org

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/dakahq/daka/internal/errs"
)

const jwtIssuer = "daka"

// accessClaims are what an access token carries: enough to authorise a request
// without a database round trip.
type accessClaims struct {
	jwt.RegisteredClaims
	TenantID uuid.UUID `json:"tid"`
	Role     Role      `json:"role"`
}

// Tokens is what a login, refresh or activation returns.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    int
	Employee     Employee
}

func (s *Service) mintAccess(e Employee, now time.Time) (string, error) {
	c := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    jwtIssuer,
			Subject:   e.ID.String(),
			Audience:  jwt.ClaimStrings{"daka-api"},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
			ExpiresAt: jwt.NewNumericDate(now.Add(s.o.AccessTTL)),
			ID:        uuid.NewString(),
		},
		TenantID: e.TenantID,
		Role:     e.Role,
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.o.JWTSecret)
}

// Authenticate verifies an access token and returns the actor it names.
func (s *Service) Authenticate(token string) (Actor, error) {
	var c accessClaims
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) { return s.o.JWTSecret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(jwtIssuer), jwt.WithAudience("daka-api"),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(s.o.Now), jwt.WithLeeway(30*time.Second))
	if err != nil {
		code := "invalid_token"
		if errors.Is(err, jwt.ErrTokenExpired) {
			code = "token_expired"
		}
		return Actor{}, &errs.Error{Kind: errs.Unauthenticated, Code: code, Msg: "the access token is not valid", Err: err}
	}
	id, err := uuid.Parse(c.Subject)
	if err != nil || c.TenantID == uuid.Nil || !c.Role.Valid() {
		return Actor{}, errs.New(errs.Unauthenticated, "invalid_token", "the access token is not valid")
	}
	return Actor{TenantID: c.TenantID, EmployeeID: id, Role: c.Role}, nil
}

// randomToken returns a URL-safe secret with 256 bits of entropy and its hash.
func randomToken() (string, []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	t := base64.RawURLEncoding.EncodeToString(b)
	return t, hashToken(t)
}

// hashToken hashes high-entropy tokens; a slow hash adds nothing there.
func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}
