package api

import (
	"context"
	"time"

	"github.com/dakahq/daka/org"
)

func fromTokens(t org.Tokens) TokenResponse {
	return TokenResponse{
		AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: "Bearer", ExpiresIn: t.ExpiresIn,
		User: TokenUser{Id: t.Employee.ID, Role: Role(t.Employee.Role), EmployeeId: t.Employee.ID,
			TenantId: t.Employee.TenantID, Name: &t.Employee.Name},
	}
}

type ipKey struct{}

// clientIP is the address login throttling counts against (see Deps.TrustedProxies).
func clientIP(ctx context.Context) string {
	ip, _ := ctx.Value(ipKey{}).(string)
	return ip
}

// Login opens a session.
func (s *Server) Login(ctx context.Context, r LoginRequestObject) (LoginResponseObject, error) {
	t, err := s.org.Login(ctx, r.Body.Tenant, r.Body.Login, r.Body.Password, clientIP(ctx))
	if err != nil {
		return nil, err
	}
	return Login200JSONResponse(fromTokens(t)), nil
}

// RefreshToken rotates a refresh token.
func (s *Server) RefreshToken(ctx context.Context, r RefreshTokenRequestObject) (RefreshTokenResponseObject, error) {
	t, err := s.org.Refresh(ctx, r.Body.RefreshToken)
	if err != nil {
		return nil, err
	}
	return RefreshToken200JSONResponse(fromTokens(t)), nil
}

// Logout revokes sessions.
func (s *Server) Logout(ctx context.Context, r LogoutRequestObject) (LogoutResponseObject, error) {
	all := r.Body.All != nil && *r.Body.All
	if err := s.org.Logout(ctx, actorFrom(ctx), r.Body.RefreshToken, all); err != nil {
		return nil, err
	}
	return Logout204Response{}, nil
}

// ActivateApp redeems an activation code.
func (s *Server) ActivateApp(ctx context.Context, r ActivateAppRequestObject) (ActivateAppResponseObject, error) {
	t, err := s.org.Activate(ctx, r.Body.Tenant, r.Body.Code, r.Body.Password, clientIP(ctx))
	if err != nil {
		return nil, err
	}
	return ActivateApp200JSONResponse(fromTokens(t)), nil
}

// GetMe returns the caller.
func (s *Server) GetMe(ctx context.Context, _ GetMeRequestObject) (GetMeResponseObject, error) {
	a := actorFrom(ctx)
	e, err := s.org.GetEmployee(ctx, a, a.EmployeeID)
	if err != nil {
		return nil, err
	}
	return GetMe200JSONResponse(fromEmployee(e)), nil
}

// ChangePassword changes the caller's password.
func (s *Server) ChangePassword(ctx context.Context, r ChangePasswordRequestObject) (ChangePasswordResponseObject, error) {
	if err := s.org.ChangePassword(ctx, actorFrom(ctx), r.Body.CurrentPassword, r.Body.NewPassword); err != nil {
		return nil, err
	}
	return ChangePassword204Response{}, nil
}

// IssueActivationCode issues a code binding the app to an employee.
func (s *Server) IssueActivationCode(ctx context.Context, r IssueActivationCodeRequestObject) (IssueActivationCodeResponseObject, error) {
	ttl := 72 * time.Hour
	if r.Body != nil && r.Body.TtlHours != nil {
		ttl = time.Duration(*r.Body.TtlHours) * time.Hour
	}
	c, err := s.org.IssueActivationCode(ctx, actorFrom(ctx), r.Id, ttl)
	if err != nil {
		return nil, err
	}
	return IssueActivationCode201JSONResponse{EmployeeId: c.EmployeeID, Code: c.Code, QrPayload: c.QRPayload, ExpiresAt: c.ExpiresAt}, nil
}
