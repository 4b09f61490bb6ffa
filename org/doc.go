// Package org holds tenants, departments, employees (who are also the users
// that log in), sites with their geofences, sessions and the audit trail.
//
// Invariants:
//   - every query is scoped to one tenant; an id from another tenant is
//     indistinguishable from a missing one (ErrNotFound);
//   - employees are never deleted, they leave (status "left"), so punches and
//     audit records always point at a row;
//   - sites are soft-deleted for the same reason, and every change to a site
//     bumps tenants.sites_rev in the same transaction, which is how replicas
//     know their in-memory geofence index is stale;
//   - every change made by an admin or manager writes an audit event in the
//     same transaction as the change;
//   - secrets (passwords, refresh tokens, activation codes) are stored only as
//     hashes: argon2id for passwords, SHA-256 for high-entropy random tokens.
package org
