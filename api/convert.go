package api

import (
	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/org"
)

// nul renders an optional value as JSON null or the value.
func nul[T any](p *T) nullable.Nullable[T] {
	if p == nil {
		return nullable.NewNullNullable[T]()
	}
	return nullable.NewNullableWithValue(*p)
}

// opt turns a PATCH field into the domain's optional change: absent leaves
// the value alone, null clears it.
func opt[T any](n nullable.Nullable[T]) org.Opt[T] {
	if !n.IsSpecified() {
		return org.Opt[T]{}
	}
	if n.IsNull() {
		return org.Opt[T]{Set: true}
	}
	v := n.MustGet()
	return org.Opt[T]{Set: true, V: &v}
}

// optUUID is opt for the generated UUID type.
func optUUID(n nullable.Nullable[uuid.UUID]) org.Opt[uuid.UUID] { return opt(n) }

func errUnavailable() error {
	return errs.New(errs.Unavailable, "unavailable", "the database is not answering")
}

func ptr[T any](v T) *T { return &v }
