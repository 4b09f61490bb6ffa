package media

import (
	"crypto/sha256"
	"strconv"
)

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }
