// Package device holds the pad's hardware drivers, one package per driver,
// each with its fake beside it. A driver translates hardware events into
// calls on the callback it is given and imports no business logic: nothing
// under device/ imports pad, store, sync, agent or central. The interfaces
// the drivers satisfy are defined where they are consumed (agent/hardware).
package device
