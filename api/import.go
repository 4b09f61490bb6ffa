package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/org/empsheet"
)

// GetEmployeeImportTemplate returns the XLSX template.
func (s *Server) GetEmployeeImportTemplate(ctx context.Context, _ GetEmployeeImportTemplateRequestObject) (GetEmployeeImportTemplateResponseObject, error) {
	if !actorFrom(ctx).IsAdmin() {
		return nil, errs.New(errs.Forbidden, "forbidden", "your role does not allow this")
	}
	b, err := empsheet.Template()
	if err != nil {
		return nil, err
	}
	return templateResponse{b}, nil
}

// templateResponse adds a file name to the generated binary response.
type templateResponse struct{ b []byte }

func (t templateResponse) VisitGetEmployeeImportTemplateResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Disposition", `attachment; filename="daka-employees-template.xlsx"; filename*=UTF-8''%E5%91%98%E5%B7%A5%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx`)
	return GetEmployeeImportTemplate200ApplicationvndOpenxmlformatsOfficedocumentSpreadsheetmlSheetResponse{
		Body: bytes.NewReader(t.b), ContentLength: int64(len(t.b))}.VisitGetEmployeeImportTemplateResponse(w)
}

// ImportEmployees imports employees from an uploaded XLSX or CSV file.
func (s *Server) ImportEmployees(ctx context.Context, r ImportEmployeesRequestObject) (ImportEmployeesResponseObject, error) {
	a := actorFrom(ctx)
	if !a.IsAdmin() {
		return nil, errs.New(errs.Forbidden, "forbidden", "your role does not allow this")
	}
	if r.Body == nil {
		return nil, errs.New(errs.BadRequest, "malformed_request", "send the file as multipart/form-data field \"file\"")
	}
	file, err := filePart(r.Body)
	if err != nil {
		return nil, err
	}
	res, err := empsheet.Parse(file, empsheet.Options{MaxBytes: 20 << 20})
	if err != nil {
		return nil, sheetProblem(err)
	}
	dry := r.Params.DryRun != nil && *r.Params.DryRun
	atomic := r.Params.Atomic != nil && *r.Params.Atomic
	out, err := s.org.ImportEmployees(ctx, a, res, dry, atomic)
	if err != nil {
		return nil, err
	}
	resp := ImportEmployees200JSONResponse{Created: out.Created, Updated: out.Updated, Failed: out.Failed,
		Unchanged: ptr(out.Unchanged), DryRun: dry, Atomic: atomic, IgnoredColumns: &out.IgnoredColumns,
		Errors: make([]ImportError, len(out.Errors))}
	for i, e := range out.Errors {
		resp.Errors[i] = ImportError{Row: e.Row, Column: e.Column, Code: e.Code, Message: e.Message}
	}
	return resp, nil
}

// filePart finds the "file" part of a multipart body.
func filePart(mr *multipart.Reader) (io.Reader, error) {
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, errs.FieldErr("file", "required", "send the spreadsheet in the multipart field \"file\"")
		}
		if err != nil {
			if e, ok := errs.As(err); ok {
				return nil, e
			}
			return nil, errs.New(errs.BadRequest, "malformed_request", "the multipart body cannot be read: %v", err)
		}
		if p.FormName() == "file" {
			return p, nil
		}
	}
}

func sheetProblem(err error) error {
	var mc *empsheet.MissingColumnsError
	switch {
	case errors.As(err, &mc):
		fields := make([]errs.Field, len(mc.Columns))
		for i, c := range mc.Columns {
			fields[i] = errs.Field{Field: c, Code: "missing_column", Message: "the header has no " + c + " column"}
		}
		return &errs.Error{Kind: errs.Invalid, Code: "missing_columns", Msg: err.Error(), Fields: fields}
	case errors.Is(err, empsheet.ErrNotSpreadsheet):
		return errs.New(errs.Unsupported, "not_a_spreadsheet", "%s", err.Error())
	case errors.Is(err, empsheet.ErrDuplicateColumn):
		return errs.New(errs.Invalid, "duplicate_column", "%s", err.Error())
	case errors.Is(err, empsheet.ErrTooManyRows):
		return errs.New(errs.TooLarge, "too_many_rows", "%s", err.Error())
	case errors.Is(err, empsheet.ErrTooLarge):
		return errs.New(errs.TooLarge, "body_too_large", "%s", err.Error())
	}
	if e, ok := errs.As(err); ok {
		return e
	}
	return errs.New(errs.BadRequest, "malformed_request", "the upload cannot be read")
}
