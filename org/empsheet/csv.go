package empsheet

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxCSVFields bounds the fields on one physical line. encoding/csv builds a
// slice entry per field, so a single line of millions of commas would cost
// hundreds of MiB; no genuine import line comes close to this.
const maxCSVFields = 1024

func parseCSV(data []byte, opts Options) (*Result, error) {
	text, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	text, comma := dialect(text)
	if err := checkFieldCount(text, comma); err != nil {
		return nil, err
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = comma
	r.FieldsPerRecord = -1 // short and long rows are normal in hand-edited files
	r.LazyQuotes = true    // a stray quote inside a name is data, not a reason to reject the file
	r.ReuseRecord = true
	h, recs, err := readSheet(&csvSource{r: r}, opts)
	if err != nil {
		return nil, err
	}
	return finish(FormatCSV, h, recs, opts), nil
}

// dialect picks the delimiter. An Excel "sep=;" first line wins and is
// removed (Excel does not show it as a row either); otherwise the header
// line decides between ",", ";" and TAB by counting them outside quotes,
// preferring "," on a tie.
func dialect(text string) (string, rune) {
	first, rest, _ := strings.Cut(text, "\n")
	first = strings.TrimRight(first, "\r")
	if len(first) == 5 && strings.EqualFold(first[:4], "sep=") {
		switch c := rune(first[4]); c {
		case ',', ';', '\t', '|':
			return rest, c
		}
	}
	// The header is the first non-blank line.
	for strings.TrimSpace(first) == "" && rest != "" {
		first, rest, _ = strings.Cut(rest, "\n")
	}
	counts := map[rune]int{}
	quoted := false
	for _, c := range first {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ',' || c == ';' || c == '\t'):
			counts[c]++
		}
	}
	best := ','
	for _, c := range []rune{'\t', ';'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return text, best
}

// checkFieldCount rejects text with a physical line holding more than
// maxCSVFields delimiters. Delimiters inside quotes are counted too, which
// only makes the bound stricter than needed for pathological cells.
func checkFieldCount(text string, comma rune) error {
	line, n := 1, 0
	for _, c := range text {
		switch c {
		case '\n':
			line, n = line+1, 0
		case comma:
			if n++; n >= maxCSVFields {
				return fmt.Errorf("%w: line %d has more than %d fields", ErrTooLarge, line, maxCSVFields)
			}
		}
	}
	return nil
}

// csvSource numbers records the way a spreadsheet program shows the file:
// one row per record, blank lines included, and a quoted cell spanning
// several lines still one row.
type csvSource struct {
	r *csv.Reader
	// extra counts the line breaks inside quoted cells seen so far.
	extra int
}

func (s *csvSource) next() (int, []string, error) {
	rec, err := s.r.Read()
	if errors.Is(err, io.EOF) {
		return 0, nil, io.EOF
	}
	if err != nil {
		return 0, nil, fmt.Errorf("%w: malformed CSV: %w", ErrNotSpreadsheet, err)
	}
	start, _ := s.r.FieldPos(0)
	last := len(rec) - 1
	end, _ := s.r.FieldPos(last)
	end += strings.Count(rec[last], "\n")
	line := start - s.extra
	s.extra += end - start
	return line, rec, nil
}
