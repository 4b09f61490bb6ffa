package zkadms

import "errors"

// Reasons a single upload line is rejected. They appear (possibly wrapped with
// the offending value) in [BadLine.Reason]; the rest of the batch is still
// processed, because a short or odd line usually means one cut or corrupt
// record, not a broken batch.
var (
	// ErrTooFewFields: the line has fewer fields than the record needs
	// (ATTLOG: PIN and time).
	ErrTooFewFields = errors.New("zkadms: too few fields")
	// ErrEmptyPIN: the PIN field is empty after trimming spaces.
	ErrEmptyPIN = errors.New("zkadms: empty PIN")
	// ErrPINTooLong: the PIN is longer than [MaxPINLen] bytes.
	ErrPINTooLong = errors.New("zkadms: PIN too long")
	// ErrBadPIN: the PIN contains control characters.
	ErrBadPIN = errors.New("zkadms: PIN has control characters")
	// ErrBadTime: the time field is neither a ZK wall-clock time nor an epoch.
	ErrBadTime = errors.New("zkadms: unparseable time")
	// ErrInvalidUTF8: an ATTLOG line is not valid UTF-8 (its raw bytes are kept
	// in [BadLine.Raw] for the request log).
	ErrInvalidUTF8 = errors.New("zkadms: invalid UTF-8")
	// ErrBadOpType: an OPLOG line whose OpType is not an integer.
	ErrBadOpType = errors.New("zkadms: OPLOG type is not an integer")
	// ErrNoKind: an OPERLOG line that does not start with a type word and a
	// space (OPLOG, USER, FP, ...).
	ErrNoKind = errors.New("zkadms: line has no type word")
)

// Errors returned by the formatters and the ATTPHOTO / time helpers.
var (
	// ErrBadCommandID: a command ID outside [A-Za-z0-9]{1,16}.
	ErrBadCommandID = errors.New("zkadms: invalid command id")
	// ErrBadValue: a command argument that cannot be sent safely (wrong
	// charset, out of range, or it would break the line/field framing).
	ErrBadValue = errors.New("zkadms: invalid command value")
	// ErrPhotoName: an ATTPHOTO file name that is not
	// yyyyMMddHHmmss[-...].jpg.
	ErrPhotoName = errors.New("zkadms: invalid photo file name")
	// ErrPhotoNoImage: an ATTPHOTO body with no image bytes.
	ErrPhotoNoImage = errors.New("zkadms: photo has no image")
	// ErrPhotoSize: the image length disagrees with the declared size (the
	// POST was most likely cut).
	ErrPhotoSize = errors.New("zkadms: photo size mismatch")
	// ErrBadZKTime: a packed ZK DateTime value that is negative or names a
	// day that does not exist.
	ErrBadZKTime = errors.New("zkadms: invalid packed time")
)
