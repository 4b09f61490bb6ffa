package api

import (
	"context"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/dakahq/daka/geo"
	"github.com/dakahq/daka/org"
)

func fromDepartment(d org.Department) Department {
	return Department{Id: d.ID, Name: d.Name, ParentId: nul(d.ParentID), CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

// CreateDepartment adds a department.
func (s *Server) CreateDepartment(ctx context.Context, r CreateDepartmentRequestObject) (CreateDepartmentResponseObject, error) {
	var parent *uuid.UUID
	if r.Body.ParentId.IsSpecified() && !r.Body.ParentId.IsNull() {
		parent = ptr(r.Body.ParentId.MustGet())
	}
	d, err := s.org.CreateDepartment(ctx, actorFrom(ctx), r.Body.Name, parent)
	if err != nil {
		return nil, err
	}
	return CreateDepartment201JSONResponse(fromDepartment(d)), nil
}

// GetDepartment returns a department.
func (s *Server) GetDepartment(ctx context.Context, r GetDepartmentRequestObject) (GetDepartmentResponseObject, error) {
	d, err := s.org.GetDepartment(ctx, actorFrom(ctx), r.Id)
	if err != nil {
		return nil, err
	}
	return GetDepartment200JSONResponse(fromDepartment(d)), nil
}

// ListDepartments lists departments.
func (s *Server) ListDepartments(ctx context.Context, r ListDepartmentsRequestObject) (ListDepartmentsResponseObject, error) {
	ds, next, err := s.org.ListDepartments(ctx, actorFrom(ctx), r.Params.ParentId, r.Params.Cursor, r.Params.Limit)
	if err != nil {
		return nil, err
	}
	out := ListDepartments200JSONResponse{Items: make([]Department, len(ds)), NextCursor: nul(next)}
	for i, d := range ds {
		out.Items[i] = fromDepartment(d)
	}
	return out, nil
}

// UpdateDepartment renames or moves a department.
func (s *Server) UpdateDepartment(ctx context.Context, r UpdateDepartmentRequestObject) (UpdateDepartmentResponseObject, error) {
	d, err := s.org.UpdateDepartment(ctx, actorFrom(ctx), r.Id, r.Body.Name, optUUID(r.Body.ParentId))
	if err != nil {
		return nil, err
	}
	return UpdateDepartment200JSONResponse(fromDepartment(d)), nil
}

// DeleteDepartment removes an empty department.
func (s *Server) DeleteDepartment(ctx context.Context, r DeleteDepartmentRequestObject) (DeleteDepartmentResponseObject, error) {
	if err := s.org.DeleteDepartment(ctx, actorFrom(ctx), r.Id); err != nil {
		return nil, err
	}
	return DeleteDepartment204Response{}, nil
}

func fromEmployee(e org.Employee) Employee {
	ids := e.SiteIDs
	if ids == nil {
		ids = []uuid.UUID{}
	}
	return Employee{
		Id: e.ID, EmployeeNo: e.EmployeeNo, Name: e.Name, Role: Role(e.Role), Status: EmployeeStatus(e.Status),
		DepartmentId: nul(e.DepartmentID), ManagerId: nul(e.ManagerID), Email: nul(e.Email), Phone: nul(e.Phone),
		Timezone: e.Timezone, CardNo: nul(e.CardNo), SiteIds: ids, AllSites: e.AllSites, HasPassword: e.HasPassword,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
	}
}

// CreateEmployee adds an employee.
func (s *Server) CreateEmployee(ctx context.Context, r CreateEmployeeRequestObject) (CreateEmployeeResponseObject, error) {
	b := r.Body
	in := org.EmployeeInput{
		EmployeeNo: &b.EmployeeNo, Name: &b.Name, Role: (*org.Role)(b.Role), Status: (*org.Status)(b.Status),
		Password: b.Password, DepartmentID: optUUID(b.DepartmentId), ManagerID: optUUID(b.ManagerId),
		Email: opt(b.Email), Phone: opt(b.Phone),
		Timezone: b.Timezone, CardNo: opt(b.CardNo), SiteIDs: b.SiteIds,
	}
	e, err := s.org.CreateEmployee(ctx, actorFrom(ctx), in)
	if err != nil {
		return nil, err
	}
	return CreateEmployee201JSONResponse(fromEmployee(e)), nil
}

// GetEmployee returns an employee in the caller's scope.
func (s *Server) GetEmployee(ctx context.Context, r GetEmployeeRequestObject) (GetEmployeeResponseObject, error) {
	e, err := s.org.GetEmployee(ctx, actorFrom(ctx), r.Id)
	if err != nil {
		return nil, err
	}
	return GetEmployee200JSONResponse(fromEmployee(e)), nil
}

// ListEmployees lists employees in the caller's scope.
func (s *Server) ListEmployees(ctx context.Context, r ListEmployeesRequestObject) (ListEmployeesResponseObject, error) {
	p := r.Params
	es, next, err := s.org.ListEmployees(ctx, actorFrom(ctx), org.EmployeeFilter{
		DepartmentID: p.DepartmentId, Status: (*org.Status)(p.Status), Role: (*org.Role)(p.Role), Q: p.Q,
		Cursor: p.Cursor, Limit: p.Limit,
	})
	if err != nil {
		return nil, err
	}
	out := ListEmployees200JSONResponse{Items: make([]Employee, len(es)), NextCursor: nul(next)}
	for i, e := range es {
		out.Items[i] = fromEmployee(e)
	}
	return out, nil
}

// UpdateEmployee changes an employee.
func (s *Server) UpdateEmployee(ctx context.Context, r UpdateEmployeeRequestObject) (UpdateEmployeeResponseObject, error) {
	b := r.Body
	in := org.EmployeeInput{
		EmployeeNo: b.EmployeeNo, Name: b.Name, Role: (*org.Role)(b.Role), Status: (*org.Status)(b.Status),
		Password: b.Password, DepartmentID: optUUID(b.DepartmentId), ManagerID: optUUID(b.ManagerId),
		Email: opt(b.Email), Phone: opt(b.Phone),
		Timezone: b.Timezone, CardNo: opt(b.CardNo), SiteIDs: b.SiteIds,
	}
	e, err := s.org.UpdateEmployee(ctx, actorFrom(ctx), r.Id, in)
	if err != nil {
		return nil, err
	}
	return UpdateEmployee200JSONResponse(fromEmployee(e)), nil
}

func toFences(in []Geofence) []geo.Fence {
	out := make([]geo.Fence, len(in))
	for i, g := range in {
		f := geo.Fence{Kind: geo.FenceKind(g.Type)}
		if g.Center != nil {
			f.Center = geo.Point{Lat: g.Center.Lat, Lng: g.Center.Lng}
		}
		if g.RadiusM != nil {
			f.RadiusM = *g.RadiusM
		}
		if g.Points != nil {
			for _, p := range *g.Points {
				f.Points = append(f.Points, geo.Point{Lat: p.Lat, Lng: p.Lng})
			}
		}
		out[i] = f
	}
	return out
}

func fromFences(in []geo.Fence) []Geofence {
	out := make([]Geofence, len(in))
	for i, f := range in {
		g := Geofence{Type: GeofenceType(f.Kind)}
		if f.Kind == geo.Circle {
			g.Center = &LatLng{Lat: f.Center.Lat, Lng: f.Center.Lng}
			g.RadiusM = ptr(f.RadiusM)
		} else {
			pts := make([]LatLng, len(f.Points))
			for j, p := range f.Points {
				pts[j] = LatLng{Lat: p.Lat, Lng: p.Lng}
			}
			g.Points = &pts
		}
		out[i] = g
	}
	return out
}

func fromSite(s org.Site) Site {
	return Site{Id: s.ID, Name: s.Name, Address: s.Address, Timezone: s.Timezone, Crs: Crs(s.CRS),
		Geofences: fromFences(s.SrcFences), GeofencesWgs84: fromFences(s.Fences), WifiBssids: s.BSSIDs, MaxAccuracyM: nul(s.MaxAccuracyM),
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

func siteInput(name, address, tz *string, crs *Crs, fences *[]Geofence, bssids *[]string, maxAcc nullable.Nullable[float64]) org.SiteInput {
	in := org.SiteInput{Name: name, Address: address, Timezone: tz, BSSIDs: bssids, MaxAccuracyM: opt(maxAcc)}
	if crs != nil {
		in.CRS = ptr(string(*crs))
	}
	if fences != nil {
		in.Fences = ptr(toFences(*fences))
	}
	return in
}

// CreateSite adds a site.
func (s *Server) CreateSite(ctx context.Context, r CreateSiteRequestObject) (CreateSiteResponseObject, error) {
	b := r.Body
	site, err := s.org.CreateSite(ctx, actorFrom(ctx), siteInput(&b.Name, b.Address, &b.Timezone, b.Crs, &b.Geofences, b.WifiBssids, b.MaxAccuracyM))
	if err != nil {
		return nil, err
	}
	return CreateSite201JSONResponse(fromSite(site)), nil
}

// GetSite returns a site.
func (s *Server) GetSite(ctx context.Context, r GetSiteRequestObject) (GetSiteResponseObject, error) {
	site, err := s.org.GetSite(ctx, actorFrom(ctx), r.Id)
	if err != nil {
		return nil, err
	}
	return GetSite200JSONResponse(fromSite(site)), nil
}

// ListSites lists sites.
func (s *Server) ListSites(ctx context.Context, r ListSitesRequestObject) (ListSitesResponseObject, error) {
	sites, next, err := s.org.ListSites(ctx, actorFrom(ctx), r.Params.Q, r.Params.Cursor, r.Params.Limit)
	if err != nil {
		return nil, err
	}
	out := ListSites200JSONResponse{Items: make([]Site, len(sites)), NextCursor: nul(next)}
	for i, site := range sites {
		out.Items[i] = fromSite(site)
	}
	return out, nil
}

// UpdateSite changes a site.
func (s *Server) UpdateSite(ctx context.Context, r UpdateSiteRequestObject) (UpdateSiteResponseObject, error) {
	b := r.Body
	site, err := s.org.UpdateSite(ctx, actorFrom(ctx), r.Id, siteInput(b.Name, b.Address, b.Timezone, b.Crs, b.Geofences, b.WifiBssids, b.MaxAccuracyM))
	if err != nil {
		return nil, err
	}
	return UpdateSite200JSONResponse(fromSite(site)), nil
}

// DeleteSite retires a site.
func (s *Server) DeleteSite(ctx context.Context, r DeleteSiteRequestObject) (DeleteSiteResponseObject, error) {
	if err := s.org.DeleteSite(ctx, actorFrom(ctx), r.Id); err != nil {
		return nil, err
	}
	return DeleteSite204Response{}, nil
}
