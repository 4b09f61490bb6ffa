package api_test

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/dakahq/daka/api"
)

// Routes outside the JSON contract: documents, metrics, and (later) the
// terminal protocols, which speak their vendors' formats.
var unspecced = regexp.MustCompile(`^(/metrics|/openapi\.yaml|/docs.*|/iclock/.*|/hik/.*|/v1/media/.*)$`)

func TestSpec_EveryRouteIsSpecifiedAndEveryOperationServed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc, err := api.Spec()
	if err != nil {
		t.Fatal(err)
	}
	spec := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			spec[method+" "+echoPath(path)] = true
		}
	}
	served := map[string]bool{}
	for _, r := range b.e.Routes() {
		if r.Method == "echo_route_not_found" || unspecced.MatchString(r.Path) {
			continue
		}
		served[r.Method+" "+r.Path] = true
	}
	var missing, extra []string
	for k := range spec {
		if !served[k] {
			missing = append(missing, k)
		}
	}
	for k := range served {
		if !spec[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("operations in the spec that no route serves: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("routes that are not in the spec: %v", extra)
	}
	if len(spec) < 25 {
		t.Fatalf("only %d operations found in the spec", len(spec))
	}
}

// echoPath turns /v1/sites/{id} into echo's /v1/sites/:id.
func echoPath(p string) string {
	return regexp.MustCompile(`\{([^}]+)\}`).ReplaceAllString(p, ":$1")
}

func TestOps_HealthReadyMetricsDocs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		path, contains, ctype string
	}{
		{"/healthz", `"status":"ok"`, "application/json"},
		{"/readyz", `"status":"ready"`, "application/json"},
		{"/openapi.yaml", "openapi: 3.0.3", "application/yaml"},
		{"/docs", "redoc.standalone.js", "text/html"},
		{"/docs/redoc.standalone.js", "Redocly", "text/javascript"},
	} {
		t.Run(strings.TrimPrefix(tc.path, "/"), func(t *testing.T) {
			r := b.do(http.MethodGet, tc.path, "", nil)
			want(t, r, 200)
			if !strings.Contains(string(r.Body), tc.contains) {
				t.Errorf("body lacks %q", tc.contains)
			}
			if !strings.HasPrefix(r.Header.Get("Content-Type"), tc.ctype) {
				t.Errorf("content type %q", r.Header.Get("Content-Type"))
			}
		})
	}
	b.do(http.MethodGet, "/healthz", "", nil)
	r := b.do(http.MethodGet, "/metrics", "", nil)
	want(t, r, 200)
	if !strings.Contains(string(r.Body), `daka_http_requests_total{method="GET",route="/healthz",status="200"}`) {
		t.Errorf("metrics lack the request counter:\n%.2000s", r.Body)
	}
	r = b.do(http.MethodGet, "/nope", "", nil)
	want(t, r, 404, "not_found")
}
