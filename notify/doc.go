// Package notify tells people and systems what happened: an in-app inbox per
// employee, push to their registered app installations through pluggable
// providers (FCM now; vendor channels such as Huawei HMS, Xiaomi, OPPO and
// vivo beside it), and signed outgoing webhooks for payroll and OA systems.
//
// Other domain packages call NotifyTx and PublishTx inside the transaction
// that makes the change they report. Both write rows and insert River jobs
// with InsertTx in that same transaction (a transactional outbox), so:
//
//   - a rolled-back change sends nothing: its inbox rows and jobs vanish with it;
//   - a committed change is delivered even if the process dies right after the
//     commit: the jobs are in the database and any replica's workers pick them up;
//   - one event reaches each recipient once: the inbox row is unique per
//     (recipient, dedupe key), push jobs are unique per (notification, token),
//     and a per-token delivery record written the moment the provider accepts
//     the message stops a re-run job from sending again.
//
// The one window that remains is the provider accepting a push and the
// process dying before the delivery record commits (milliseconds); the job
// then runs again and sends a second copy. Every push carries the
// notification id as its collapse identity (Android notification tag, APNs
// apns-collapse-id, Web Push Topic), so the device replaces the first copy
// instead of showing two. docs/notifications.md describes the whole design.
package notify
