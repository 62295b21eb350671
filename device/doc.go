// Package device holds the pad's hardware drivers, one package per driver,
// each behind the small interface its consumer defines. Drivers translate
// hardware events into calls on the pad and import no business rules.
//
// device/sim is the simulated hardware of `evalpad sim`.
package device
