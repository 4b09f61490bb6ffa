package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/dakahq/daka/geo"
	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/migrations"
	"github.com/dakahq/daka/org"
)

// The demo tenant's logins, printed by `daka demo`. They are public: never
// seed a demo tenant on a server others can reach.
const (
	demoSlug     = "demo"
	demoPassword = "daka-demo-2026"
)

// demo seeds a tenant to try Daka with: a site with a geofence at People's
// Square in Shanghai (drawn on a GCJ-02 map, as admins in China do), an admin,
// a manager and two employees. Running it again changes nothing.
func demo(ctx context.Context, cfg Config, stdout io.Writer) error {
	pool, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := migrations.Up(ctx, pool); err != nil {
		return err
	}
	orgs, err := newOrg(pool, cfg)
	if err != nil {
		return err
	}
	if _, err := orgs.TenantBySlug(ctx, demoSlug); err == nil {
		printDemo(stdout, "the demo tenant already exists; its logins:")
		return nil
	}
	t, err := orgs.CreateTenant(ctx, org.NewTenant{Slug: demoSlug, Name: "Daka Demo 演示公司", AdminEmail: "admin@demo.daka.dev",
		AdminPassword: demoPassword, AdminName: "管理员 Admin", AdminNo: "A0001", Timezone: "Asia/Shanghai"})
	if err != nil {
		return describe(err)
	}
	admin := org.Actor{TenantID: t.Tenant.ID, EmployeeID: t.AdminID, Role: org.RoleAdmin, RequestID: "demo-seed"}
	hq, err := orgs.CreateDepartment(ctx, admin, "总部 Headquarters", nil)
	if err != nil {
		return describe(err)
	}
	rd, err := orgs.CreateDepartment(ctx, admin, "研发 R&D", &hq.ID)
	if err != nil {
		return describe(err)
	}
	site, err := orgs.CreateSite(ctx, admin, org.SiteInput{
		Name: ptr("上海总部 Shanghai HQ"), Address: ptr("上海市黄浦区人民大道 People's Square, Shanghai"),
		Timezone: ptr("Asia/Shanghai"), CRS: ptr("gcj02"),
		Fences: &[]geo.Fence{{Kind: geo.Circle, Center: geo.Point{Lat: 31.2304, Lng: 121.4737}, RadiusM: 300}},
		BSSIDs: &[]string{"aa:bb:cc:00:00:01", "aa:bb:cc:00:00:02"},
	})
	if err != nil {
		return describe(err)
	}
	sites := []uuid.UUID{site.ID}
	mgr, err := orgs.CreateEmployee(ctx, admin, org.EmployeeInput{EmployeeNo: ptr("M0001"), Name: ptr("王芳 Wang Fang"),
		Role: ptr(org.RoleManager), Password: ptr(demoPassword), DepartmentID: org.Put(rd.ID),
		Email: org.Put("manager@demo.daka.dev"), Timezone: ptr("Asia/Shanghai"), SiteIDs: &sites})
	if err != nil {
		return describe(err)
	}
	for _, e := range []struct{ no, name, email string }{
		{"E1001", "李雷 Li Lei", "lilei@demo.daka.dev"},
		{"E1002", "韩梅梅 Han Meimei", "hanmeimei@demo.daka.dev"},
	} {
		if _, err := orgs.CreateEmployee(ctx, admin, org.EmployeeInput{EmployeeNo: ptr(e.no), Name: ptr(e.name),
			Password: ptr(demoPassword), DepartmentID: org.Put(rd.ID), ManagerID: org.Put(mgr.ID), Email: org.Put(e.email),
			Timezone: ptr("Asia/Shanghai"), SiteIDs: &sites}); err != nil {
			return describe(err)
		}
	}
	printDemo(stdout, "demo tenant created; its logins:")
	return nil
}

func printDemo(w io.Writer, head string) {
	fmt.Fprintf(w, `%s
  tenant:   %s
  admin:    admin@demo.daka.dev  (or A0001)   password %s
  manager:  manager@demo.daka.dev (or M0001)  password %s
  employee: E1001 (李雷 Li Lei), E1002 (韩梅梅 Han Meimei)  password %s
  site:     上海总部 Shanghai HQ, a 300 m circle around GCJ-02 (31.2304, 121.4737), People's Square
try:
  curl -s localhost:8080/v1/auth/login -H 'content-type: application/json' \
    -d '{"tenant":"demo","login":"E1001","password":"%s"}'
`, head, demoSlug, demoPassword, demoPassword, demoPassword, demoPassword)
}

func ptr[T any](v T) *T { return &v }

// describe renders a domain error with its field details for the terminal.
func describe(err error) error {
	e, ok := errs.As(err)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	var b strings.Builder
	b.WriteString(e.Msg)
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "\n  %s: %s (%s)", f.Field, f.Message, f.Code)
	}
	return fmt.Errorf("%s", b.String())
}
