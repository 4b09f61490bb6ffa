package hikisapi

import (
	"bytes"
	"mime"
	"strings"
)

// maxParts bounds how many multipart parts are examined. A push has one JSON
// part and at most a few pictures; a hostile body of thousands of empty parts
// is cut short.
const maxParts = 32

// maxBoundary is the longest boundary accepted (RFC 2046 allows 70; some
// firmware is generous, so allow more but not unbounded).
const maxBoundary = 200

// part is one body part of a multipart push.
type part struct {
	name  string // Content-Disposition name parameter
	ctype string // media type, lower case ("" when absent)
	body  []byte // aliases the request body
}

// splitMultipart splits body on the given boundary. It is written for what
// device firmware sends rather than for RFC 2046 strictness: it accepts LF or
// CRLF line breaks, parts without headers (JSON directly after the boundary
// line), header blocks missing their blank line, transport
// padding after a boundary, and a body cut before the closing boundary (the
// last part then runs to the end of the body). Preamble and epilogue are
// ignored.
func splitMultipart(body []byte, boundary string) []part {
	delim := []byte("--" + boundary)
	pos := indexAtLineStart(body, delim, 0)
	var parts []part
	for pos >= 0 && len(parts) < maxParts {
		after := pos + len(delim)
		if bytes.HasPrefix(body[after:], []byte("--")) {
			break // closing delimiter
		}
		nl := bytes.IndexByte(body[after:], '\n')
		if nl < 0 {
			break
		}
		start := after + nl + 1
		next := indexAtLineStart(body, delim, start)
		end := next
		if end < 0 {
			end = len(body)
		}
		content := body[start:end]
		// The line break before a delimiter belongs to the delimiter.
		content = bytes.TrimSuffix(content, []byte("\n"))
		content = bytes.TrimSuffix(content, []byte("\r"))
		parts = append(parts, parsePart(content))
		pos = next
	}
	return parts
}

// indexAtLineStart finds delim at the start of a line at or after from.
func indexAtLineStart(body, delim []byte, from int) int {
	for from <= len(body) {
		i := bytes.Index(body[from:], delim)
		if i < 0 {
			return -1
		}
		abs := from + i
		if abs == 0 || body[abs-1] == '\n' {
			return abs
		}
		from = abs + 1
	}
	return -1
}

// parsePart separates a part's headers (when it has any) from its body.
// Leading lines of the form "Token: value" are headers; they end at a blank
// line (consumed) or at the first line that is not a header (kept, so JSON
// sent right after headers without the blank line still parses).
func parsePart(content []byte) part {
	var p part
	rest := content
	for consumed := 0; consumed < maxHeaderLines; consumed++ {
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			break
		}
		line := bytes.TrimSuffix(rest[:nl], []byte("\r"))
		if len(line) == 0 {
			rest = rest[nl+1:]
			break
		}
		k, v, ok := headerLine(line)
		if !ok {
			break
		}
		rest = rest[nl+1:]
		switch strings.ToLower(k) {
		case "content-disposition":
			p.name = dispositionName(v)
		case "content-type":
			if mt, _, err := mime.ParseMediaType(v); err == nil {
				p.ctype = mt
			} else {
				p.ctype = strings.ToLower(v)
			}
		}
	}
	p.body = rest
	return p
}

// maxHeaderLines bounds the header lines read per part.
const maxHeaderLines = 16

// headerLine splits "Token: value"; ok is false for anything else.
func headerLine(line []byte) (key, value string, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 || i > 64 {
		return "", "", false
	}
	for _, c := range line[:i] {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "", "", false
		}
	}
	return string(line[:i]), strings.TrimSpace(string(line[i+1:])), true
}

// dispositionName extracts the name parameter of a Content-Disposition
// value, falling back to a plain scan when the value does not parse.
func dispositionName(v string) string {
	if _, params, err := mime.ParseMediaType(v); err == nil {
		return params["name"]
	}
	i := strings.Index(strings.ToLower(v), "name=")
	if i < 0 {
		return ""
	}
	rest := v[i+len("name="):]
	if strings.HasPrefix(rest, `"`) {
		rest = rest[1:]
		if j := strings.IndexByte(rest, '"'); j >= 0 {
			return rest[:j]
		}
		return rest
	}
	if j := strings.IndexAny(rest, "; "); j >= 0 {
		return rest[:j]
	}
	return rest
}

// sniffBoundary reads the boundary from a body that starts with "--".
func sniffBoundary(body []byte) string {
	if !bytes.HasPrefix(body, []byte("--")) {
		return ""
	}
	line := body[2:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	b := strings.TrimSpace(string(line))
	// A first line ending in "--" is a closing delimiter: no parts follow.
	if b == "" || len(b) > maxBoundary || strings.HasSuffix(b, "--") {
		return ""
	}
	return b
}
