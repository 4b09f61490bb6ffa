// Package attendance records punches and decides their verdicts.
//
// A punch is evidence: it is stored whatever its verdict, raw punches are
// never edited (corrections are new punches pointing at what they correct),
// and the server's receipt time is the authoritative instant of a live app
// punch; the phone's clock is kept beside it. The client's punch id is an
// idempotency key: a retry returns the stored punch, never a second one.
//
// Verdicts for an app punch (foundation rules):
//   - accepted: the point is inside a permitted site's geofence, or its
//     accuracy circle reaches the fence (geo.Classify; the allowance is capped
//     by Options.MaxAccuracySlackM so a 2 km fix cannot claim a 100 m fence);
//   - rejected: outside every permitted geofence (the nearest permitted site
//     and its distance are reported), no permitted site at all, or a fix the
//     phone itself marks as simulated (mock location).
package attendance
