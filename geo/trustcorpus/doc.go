// Package trustcorpus generates a labelled, reproducible corpus of punches
// for measuring geo.Assess: genuine punches from a simulated workforce (GPS
// noise, indoor fixes, urban-canyon outliers, commutes, field staff, trips,
// offline queues, photos, phone changes) and spoofed punches following named
// attack patterns, each punch labelled with its pattern.
//
// The generator is a model, written by the same hands as the engine it
// measures: its numbers say how the engine behaves on the behaviours modelled
// here, not how it behaves in the field. Every distribution is in the code
// with the reason for its parameters, so a reader can disagree with one and
// rerun. Generation is deterministic for a Config (math/rand/v2 PCG seeded
// from Config.Seed); nothing reads the clock or the environment.
//
// Evaluate runs a policy over a corpus and reports recall per pattern, the
// share of genuine punches that are not accepted, and per-signal counts.
package trustcorpus
