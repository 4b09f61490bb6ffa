package notify

import (
	"sort"
	"strings"
)

// The locales notifications are written in.
const (
	LocaleZhCN = "zh-CN"
	LocaleEn   = "en"
)

// Template is one notification text in every supported locale. Placeholders
// are {name}, filled from Message.Params; a missing parameter renders empty.
type Template struct {
	Title, Body map[string]string // locale → text
	Params      []string          // the parameter names the texts use, for documentation and tests
}

// templates are the texts other packages may name in Message.Template.
var templates = map[string]Template{
	// To an approver when a request reaches their step.
	"approval_requested": {
		Title:  map[string]string{LocaleZhCN: "待审批：{requester}的{request_type}", LocaleEn: "Approval needed: {request_type} from {requester}"},
		Body:   map[string]string{LocaleZhCN: "{requester}提交了{request_type}申请：{summary}", LocaleEn: "{requester} asks for {request_type}: {summary}"},
		Params: []string{"requester", "request_type", "summary"},
	},
	// To an approver who has not decided after the reminder delay.
	"approval_reminder": {
		Title:  map[string]string{LocaleZhCN: "提醒：{requester}的{request_type}仍待审批", LocaleEn: "Reminder: {request_type} from {requester} is waiting"},
		Body:   map[string]string{LocaleZhCN: "{requester}于{submitted_at}提交的{request_type}申请还在等你审批。", LocaleEn: "{requester}'s {request_type} request from {submitted_at} still needs your decision."},
		Params: []string{"requester", "request_type", "submitted_at"},
	},
	// To the next level when a step passed its deadline.
	"approval_escalated": {
		Title:  map[string]string{LocaleZhCN: "已升级：{requester}的{request_type}", LocaleEn: "Escalated: {request_type} from {requester}"},
		Body:   map[string]string{LocaleZhCN: "{requester}的{request_type}申请超时未审批，已转交给你。", LocaleEn: "{requester}'s {request_type} request passed its deadline and now needs your decision."},
		Params: []string{"requester", "request_type"},
	},
	// To the requester when their request is decided; decision is approved or rejected.
	"request_decided": {
		Title:  map[string]string{LocaleZhCN: "你的{request_type}申请{decision}", LocaleEn: "Your {request_type} request was {decision}"},
		Body:   map[string]string{LocaleZhCN: "{approver}{decision}了你的{request_type}申请。{comment}", LocaleEn: "{approver} {decision} your {request_type} request. {comment}"},
		Params: []string{"request_type", "decision", "approver", "comment"},
	},
	// To the requester when a rule approved their request without a person.
	"request_auto_approved": {
		Title:  map[string]string{LocaleZhCN: "你的{request_type}申请已自动通过", LocaleEn: "Your {request_type} request was approved automatically"},
		Body:   map[string]string{LocaleZhCN: "{summary}", LocaleEn: "{summary}"},
		Params: []string{"request_type", "summary"},
	},
	// To admins when a terminal raises an alarm (tamper, door forced, ...).
	"device_alarm": {
		Title:  map[string]string{LocaleZhCN: "考勤机告警：{device}", LocaleEn: "Terminal alarm: {device}"},
		Body:   map[string]string{LocaleZhCN: "{site}的{device}报告：{alarm}", LocaleEn: "{device} at {site} reports: {alarm}"},
		Params: []string{"device", "site", "alarm"},
	},
	// To admins when a terminal stops reporting.
	"device_offline": {
		Title:  map[string]string{LocaleZhCN: "考勤机离线：{device}", LocaleEn: "Terminal offline: {device}"},
		Body:   map[string]string{LocaleZhCN: "{site}的{device}自{since}起未上报。", LocaleEn: "{device} at {site} has not reported since {since}."},
		Params: []string{"device", "site", "since"},
	},
	// Free text chosen by the caller (admin broadcasts, tests).
	"generic": {
		Title:  map[string]string{LocaleZhCN: "{title}", LocaleEn: "{title}"},
		Body:   map[string]string{LocaleZhCN: "{body}", LocaleEn: "{body}"},
		Params: []string{"title", "body"},
	},
}

// paramWords translate well-known parameter values, so callers pass machine
// values ("makeup", "approved") and each locale reads naturally.
var paramWords = map[string]map[string]map[string]string{
	"request_type": {
		"makeup":        {LocaleZhCN: "补卡", LocaleEn: "make-up punch"},
		"leave":         {LocaleZhCN: "请假", LocaleEn: "leave"},
		"overtime":      {LocaleZhCN: "加班", LocaleEn: "overtime"},
		"flagged_punch": {LocaleZhCN: "外勤打卡", LocaleEn: "remote punch"},
	},
	"decision": {
		"approved": {LocaleZhCN: "已通过", LocaleEn: "approved"},
		"rejected": {LocaleZhCN: "已驳回", LocaleEn: "rejected"},
	},
}

// Templates lists the template keys Message.Template accepts, sorted.
func Templates() []string {
	keys := make([]string, 0, len(templates))
	for k := range templates {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TemplateFor returns a template by key.
func TemplateFor(key string) (Template, bool) {
	t, ok := templates[key]
	return t, ok
}

// NormaliseLocale maps what a device reports (zh, zh_CN, zh-Hans-CN,
// en-GB, …) to a supported locale, or def when nothing matches.
func NormaliseLocale(loc, def string) string {
	l := strings.ToLower(strings.ReplaceAll(loc, "_", "-"))
	switch {
	case l == "zh" || strings.HasPrefix(l, "zh-"):
		return LocaleZhCN
	case l == "en" || strings.HasPrefix(l, "en-"):
		return LocaleEn
	}
	return def
}

// render fills a template's title and body for one locale. The key must
// exist (Message.validate checked it).
func render(key, locale string, params map[string]string) (title, body string) {
	t := templates[key]
	pairs := make([]string, 0, 2*len(params))
	for k, v := range params {
		if w, ok := paramWords[k][v][locale]; ok {
			v = w
		}
		pairs = append(pairs, "{"+k+"}", v)
	}
	for _, name := range t.Params {
		if _, ok := params[name]; !ok {
			pairs = append(pairs, "{"+name+"}", "")
		}
	}
	r := strings.NewReplacer(pairs...)
	title, body = t.Title[locale], t.Body[locale]
	if title == "" {
		title, body = t.Title[LocaleZhCN], t.Body[LocaleZhCN]
	}
	return strings.TrimSpace(r.Replace(title)), strings.TrimSpace(r.Replace(body))
}
