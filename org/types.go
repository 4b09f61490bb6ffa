package org

import (
	"time"

	"github.com/google/uuid"

	"github.com/dakahq/daka/geo"
)

// Role is what a user may do.
type Role string

// The roles, from least to most privileged.
const (
	RoleEmployee Role = "employee"
	RoleManager  Role = "manager"
	RoleAdmin    Role = "admin"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleEmployee || r == RoleManager || r == RoleAdmin }

// Status of an employee.
type Status string

// Employee statuses.
const (
	StatusActive Status = "active"
	StatusLeft   Status = "left"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s == StatusActive || s == StatusLeft }

// Actor is who makes a request, with what the audit trail records about it.
type Actor struct {
	TenantID   uuid.UUID
	EmployeeID uuid.UUID
	Role       Role
	RequestID  string
	ClientIP   string
}

// IsAdmin reports whether the actor administers the tenant.
func (a Actor) IsAdmin() bool { return a.Role == RoleAdmin }

// Tenant is one customer organisation.
type Tenant struct {
	ID        uuid.UUID `json:"tenant_id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Department is a node of the organisation tree.
type Department struct {
	ID        uuid.UUID
	ParentID  *uuid.UUID
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Employee is a person who punches; every user who logs in is an employee.
type Employee struct {
	ID           uuid.UUID
	TenantID     uuid.UUID
	EmployeeNo   string
	Name         string
	Role         Role
	Status       Status
	DepartmentID *uuid.UUID
	ManagerID    *uuid.UUID
	Email        *string
	Phone        *string
	Timezone     string
	CardNo       *string
	SiteIDs      []uuid.UUID // the live sites the employee may punch at
	AllSites     bool        // no restriction: every site of the tenant
	HasPassword  bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Site is a place where people punch, with one or more geofences.
type Site struct {
	ID        uuid.UUID
	Name      string
	Address   string
	Timezone  string
	CRS       geo.CRS     // the system the fences were submitted in
	Fences    []geo.Fence // WGS-84
	SrcFences []geo.Fence // as submitted, in CRS
	BSSIDs    []string    // lower-case, colon-separated
	// MaxAccuracyM is the worst GPS accuracy the site accepts (nil: the
	// tenant's trust policy decides).
	MaxAccuracyM *float64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// AuditEvent records one change made by an admin or a manager.
type AuditEvent struct {
	ID         uuid.UUID
	At         time.Time
	ActorID    *uuid.UUID
	ActorRole  string
	Action     string
	TargetType string
	TargetID   string
	Changes    map[string]any
	RequestID  string
	ClientIP   string
}
