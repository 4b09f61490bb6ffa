package api

import (
	"embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

//go:embed docs/index.html docs/redoc.standalone.js
var docsFS embed.FS

// mountDocs serves the API reference from assets embedded in the binary, so
// it works offline (vendored by docs/vendor.sh).
func mountDocs(e *echo.Echo) {
	page, _ := docsFS.ReadFile("docs/index.html")
	js, _ := docsFS.ReadFile("docs/redoc.standalone.js")
	e.GET("/docs", func(c echo.Context) error { return c.HTMLBlob(http.StatusOK, page) })
	e.GET("/docs/", func(c echo.Context) error { return c.HTMLBlob(http.StatusOK, page) })
	e.GET("/docs/redoc.standalone.js", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=86400")
		return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", js)
	})
}
