// Package devices is the door-terminal domain: the registry of terminals
// and their credentials, the command queue, clock offsets, what devices
// reported about themselves, and the path by which their records become
// punches. The wire protocols live in sub-packages: zkadms and hikisapi
// (pure parsers and formatters), zkhttp and hikhttp (their HTTP handlers);
// the native Daka terminal API is served by package api on top of this one.
//
// Invariants:
//   - nothing a terminal sends is lost: a record is either a punch, a
//     duplicate of one, or kept in quarantine with its reason (unknown PIN
//     or card, not permitted on the device, employee left, device disabled,
//     unparseable line, whose raw text is kept); resolving a quarantined
//     record re-evaluates it into a punch;
//   - records are idempotent on (device, dedupe key): the native sequence
//     number, ZKTeco's (PIN, device wall time), Hikvision's serialNo, the
//     rtlog index; a device replaying its whole history creates nothing new;
//   - a batch is acknowledged only after the transaction holding it commits;
//   - device times are naive wall times read in the device's IANA zone (or
//     the UTC offset the record carries); punches keep the wall time, the
//     device clock's instant, the corrected instant and the receipt time,
//     and doubtful times flag a punch, never drop it;
//   - an employee's terminal PIN is their employee_no unless a
//     device-specific PIN is set for that device; an employee may use a
//     terminal when they may punch at its site or are enrolled on the device
//     or its site, and are active;
//   - secrets are stored sealed or hashed: Hikvision URL tokens and
//     activation codes as SHA-256, native signing keys and biometric
//     templates sealed with AES-GCM under the configured encryption key;
//   - serial numbers that contact the server unregistered are kept as
//     pending devices (keyed by serial: they belong to no tenant until an
//     admin claims one), with what they sent, ingested on approval.
package devices
