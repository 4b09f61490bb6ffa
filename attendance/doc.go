// Package attendance records punches and decides their verdicts, and holds
// the evidence around them: photos, field assignments and GPS tracks,
// make-up requests and their approvals, and terminal ingestion.
//
// A punch is evidence: it is stored whatever its verdict, raw punches are
// never edited (corrections are new punches pointing at what they correct),
// and the server's receipt time is the authoritative instant of a live app
// punch; the phone's clock is kept beside it. The client's punch id is an
// idempotency key: a retry returns the stored punch, never a second one.
//
// An app punch is judged in evaluateWith, a pure function of what the
// organisation says (permitted sites, tenant policy) and what the punch path
// gathered (the employee's recent fixes and devices, the attached photo):
//
//   - the geofence test: the tenant's H3 index pre-filters, the exact
//     great-circle or point-in-polygon distance decides, and geo.Classify
//     turns distance and accuracy into inside / inside_uncertain /
//     straddles / outside (the allowance is capped by
//     Options.MaxAccuracySlackM, so a 2 km fix cannot claim a 100 m fence);
//   - the Wi-Fi access point, matched against the sites' registered BSSIDs
//     (strong positive evidence; alone it suffices when it belongs to a
//     permitted site);
//   - for queued punches, geo.ReconstructTime dates the punch from the
//     phone's monotonic clock, its GPS fix time or its corrected wall clock;
//     beyond the tenant's offline window the punch is rejected;
//   - geo.Assess weighs every signal under the tenant's trust policy (data,
//     see docs/trust.md) into a score and one of accepted, flagged,
//     needs_approval, rejected;
//   - a field check-in (外勤) outside every fence follows the tenant's field
//     policy: allow (flagged for review), approval, or deny.
package attendance
