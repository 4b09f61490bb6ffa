package api_test

import (
	"testing"

	"github.com/dakahq/daka/internal/s3test"
)

// TestMain stops the shared S3 server (started by the first test that needs
// one) when the tests end.
func TestMain(m *testing.M) { s3test.Main(m) }
