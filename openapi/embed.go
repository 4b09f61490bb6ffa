// Package openapi holds openapi.yaml, the contract the mobile app and the
// terminals are built against; the API's types and routes are generated from it.
package openapi

import _ "embed"

// Spec is the OpenAPI document, served at /openapi.yaml.
//
//go:embed openapi.yaml
var Spec []byte
