package api

//go:generate go tool oapi-codegen -config oapi.cfg.yaml ../openapi/openapi.yaml
//go:generate bash docs/vendor.sh
