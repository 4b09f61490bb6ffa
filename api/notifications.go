package api

import (
	"context"

	"github.com/google/uuid"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/notify"
)

// notifier returns the notification service, or a 503 when the server runs
// without one (tools and tests that do not need it).
func (s *Server) notifier() (*notify.Service, error) {
	if s.notify == nil {
		return nil, errs.New(errs.Unavailable, "notifications_unavailable", "notifications are not configured on this server")
	}
	return s.notify, nil
}

func fromNotification(n notify.Notification) Notification {
	data := n.Data
	if data == nil {
		data = map[string]string{}
	}
	return Notification{Id: n.ID, Type: n.Type, Title: n.Title, Body: n.Body, Data: data, Locale: NotificationLocale(n.Locale),
		ReadAt: nul(n.ReadAt), CreatedAt: n.CreatedAt}
}

// ListMyNotifications lists the caller's inbox.
func (s *Server) ListMyNotifications(ctx context.Context, r ListMyNotificationsRequestObject) (ListMyNotificationsResponseObject, error) {
	svc, err := s.notifier()
	if err != nil {
		return nil, err
	}
	f := notify.InboxFilter{Cursor: r.Params.Cursor, Limit: r.Params.Limit, UnreadOnly: r.Params.Unread != nil && *r.Params.Unread}
	items, next, unread, err := svc.ListInbox(ctx, actorFrom(ctx), f)
	if err != nil {
		return nil, err
	}
	out := ListMyNotifications200JSONResponse{Items: make([]Notification, len(items)), NextCursor: nul(next), UnreadCount: unread}
	for i, n := range items {
		out.Items[i] = fromNotification(n)
	}
	return out, nil
}

// GetMyUnreadCount answers the badge count.
func (s *Server) GetMyUnreadCount(ctx context.Context, _ GetMyUnreadCountRequestObject) (GetMyUnreadCountResponseObject, error) {
	svc, err := s.notifier()
	if err != nil {
		return nil, err
	}
	n, err := svc.UnreadCount(ctx, actorFrom(ctx))
	if err != nil {
		return nil, err
	}
	return GetMyUnreadCount200JSONResponse{UnreadCount: n}, nil
}

// MarkMyNotificationRead marks one notification read.
func (s *Server) MarkMyNotificationRead(ctx context.Context, r MarkMyNotificationReadRequestObject) (MarkMyNotificationReadResponseObject, error) {
	svc, err := s.notifier()
	if err != nil {
		return nil, err
	}
	n, err := svc.MarkRead(ctx, actorFrom(ctx), r.Id)
	if err != nil {
		return nil, err
	}
	return MarkMyNotificationRead200JSONResponse(fromNotification(n)), nil
}

// MarkAllMyNotificationsRead marks everything read so far.
func (s *Server) MarkAllMyNotificationsRead(ctx context.Context, _ MarkAllMyNotificationsReadRequestObject) (MarkAllMyNotificationsReadResponseObject, error) {
	svc, err := s.notifier()
	if err != nil {
		return nil, err
	}
	a := actorFrom(ctx)
	n, err := svc.MarkAllRead(ctx, a)
	if err != nil {
		return nil, err
	}
	left, err := svc.UnreadCount(ctx, a)
	if err != nil {
		return nil, err
	}
	return MarkAllMyNotificationsRead200JSONResponse{Updated: n, UnreadCount: left}, nil
}

func fromPushToken(t notify.PushToken) PushToken {
	return PushToken{Id: t.ID, Token: t.Token, Platform: PushPlatform(t.Platform), Provider: PushProvider(t.Provider),
		AppVersion: nul(t.AppVersion), Locale: nul(t.Locale), CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

// ListMyPushTokens lists the caller's registered installations.
func (s *Server) ListMyPushTokens(ctx context.Context, _ ListMyPushTokensRequestObject) (ListMyPushTokensResponseObject, error) {
	svc, err := s.notifier()
	if err != nil {
		return nil, err
	}
	ts, err := svc.ListTokens(ctx, actorFrom(ctx))
	if err != nil {
		return nil, err
	}
	out := ListMyPushTokens200JSONResponse{Items: make([]PushToken, len(ts)), NextCursor: nul[string](nil)}
	for i, t := range ts {
		out.Items[i] = fromPushToken(t)
	}
	return out, nil
}

// RegisterMyPushToken registers or refreshes an installation.
func (s *Server) RegisterMyPushToken(ctx context.Context, r RegisterMyPushTokenRequestObject) (RegisterMyPushTokenResponseObject, error) {
	svc, err := s.notifier()
	if err != nil {
		return nil, err
	}
	in := notify.TokenInput{Token: r.Body.Token, Platform: string(r.Body.Platform), AppVersion: r.Body.AppVersion, Locale: r.Body.Locale}
	if r.Body.Provider != nil {
		in.Provider = string(*r.Body.Provider)
	}
	t, created, err := svc.RegisterToken(ctx, actorFrom(ctx), in)
	if err != nil {
		return nil, err
	}
	if created {
		return RegisterMyPushToken201JSONResponse(fromPushToken(t)), nil
	}
	return RegisterMyPushToken200JSONResponse(fromPushToken(t)), nil
}

// DeleteMyPushToken stops pushes to an installation.
func (s *Server) DeleteMyPushToken(ctx context.Context, r DeleteMyPushTokenRequestObject) (DeleteMyPushTokenResponseObject, error) {
	svc, err := s.notifier()
	if err != nil {
		return nil, err
	}
	if err := svc.DeleteToken(ctx, actorFrom(ctx), r.Body.Token); err != nil {
		return nil, err
	}
	return DeleteMyPushToken204Response{}, nil
}

func fromWebhook(w notify.Webhook) Webhook {
	return Webhook{Id: w.ID, Url: w.URL, EventTypes: w.EventTypes, Description: w.Description,
		CreatedBy: nul((*uuid.UUID)(w.CreatedBy)), CreatedAt: w.CreatedAt}
}

// ListWebhooks lists the tenant's endpoints.
func (s *Server) ListWebhooks(ctx context.Context, r ListWebhooksRequestObject) (ListWebhooksResponseObject, error) {
	svc, err := s.notifier()
	if err != nil {
		return nil, err
	}
	ws, next, err := svc.ListWebhooks(ctx, actorFrom(ctx), r.Params.Cursor, r.Params.Limit)
	if err != nil {
		return nil, err
	}
	out := ListWebhooks200JSONResponse{Items: make([]Webhook, len(ws)), NextCursor: nul(next)}
	for i, w := range ws {
		out.Items[i] = fromWebhook(w)
	}
	return out, nil
}

// CreateWebhook registers an endpoint and shows its secret once.
func (s *Server) CreateWebhook(ctx context.Context, r CreateWebhookRequestObject) (CreateWebhookResponseObject, error) {
	svc, err := s.notifier()
	if err != nil {
		return nil, err
	}
	in := notify.WebhookInput{URL: r.Body.Url, EventTypes: r.Body.EventTypes}
	if r.Body.Description != nil {
		in.Description = *r.Body.Description
	}
	w, secret, err := svc.CreateWebhook(ctx, actorFrom(ctx), in)
	if err != nil {
		return nil, err
	}
	v := fromWebhook(w)
	return CreateWebhook201JSONResponse{Id: v.Id, Url: v.Url, EventTypes: v.EventTypes, Description: v.Description,
		CreatedBy: v.CreatedBy, CreatedAt: v.CreatedAt, Secret: secret}, nil
}

// GetWebhook returns an endpoint.
func (s *Server) GetWebhook(ctx context.Context, r GetWebhookRequestObject) (GetWebhookResponseObject, error) {
	svc, err := s.notifier()
	if err != nil {
		return nil, err
	}
	w, err := svc.GetWebhook(ctx, actorFrom(ctx), r.Id)
	if err != nil {
		return nil, err
	}
	return GetWebhook200JSONResponse(fromWebhook(w)), nil
}

// DeleteWebhook removes an endpoint.
func (s *Server) DeleteWebhook(ctx context.Context, r DeleteWebhookRequestObject) (DeleteWebhookResponseObject, error) {
	svc, err := s.notifier()
	if err != nil {
		return nil, err
	}
	if err := svc.DeleteWebhook(ctx, actorFrom(ctx), r.Id); err != nil {
		return nil, err
	}
	return DeleteWebhook204Response{}, nil
}

// ListWebhookDeliveries lists the delivery attempts to an endpoint.
func (s *Server) ListWebhookDeliveries(ctx context.Context, r ListWebhookDeliveriesRequestObject) (ListWebhookDeliveriesResponseObject, error) {
	svc, err := s.notifier()
	if err != nil {
		return nil, err
	}
	ds, next, err := svc.ListDeliveries(ctx, actorFrom(ctx), r.Id, r.Params.Cursor, r.Params.Limit)
	if err != nil {
		return nil, err
	}
	out := ListWebhookDeliveries200JSONResponse{Items: make([]WebhookDelivery, len(ds)), NextCursor: nul(next)}
	for i, d := range ds {
		out.Items[i] = WebhookDelivery{Id: d.ID, EventId: d.EventID, EventType: d.EventType, Attempt: d.Attempt, At: d.At,
			StatusCode: nul(d.StatusCode), ResponseBody: d.ResponseBody, Error: d.Error, DurationMs: d.DurationMS, Succeeded: d.Succeeded}
	}
	return out, nil
}
