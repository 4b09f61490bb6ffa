package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/dakahq/daka/devices"
	"github.com/dakahq/daka/devices/zkhttp"
)

// mountTerminals serves the device protocols that firmware, not the spec,
// defines: ZKTeco ADMS under /iclock/ (any case, with or without .aspx).
// They run before echo's router, with the request id, access log, metrics
// and panic recovery of every route but without the JSON body limit, spec
// validation and bearer auth: the handlers bound bodies themselves and
// identify devices by serial number or URL token.
func mountTerminals(e *echo.Echo, s *Server, dev *devices.Service) {
	if dev == nil {
		return
	}
	ip := func(r *http.Request) string { return clientIP(r.Context()) }
	zk := requestID(s.accessLog(recoverer(s.log)(echo.WrapHandler(zkhttp.New(dev, zkhttp.Options{ClientIP: ip})))))
	e.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := c.Request().URL.Path
			if hasPrefixFold(p, "/iclock/") || strings.EqualFold(p, "/iclock") {
				c.SetPath("/iclock/*")
				return zk(c)
			}
			return next(c)
		}
	})
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
