// Package centraltest gives tests a PostgreSQL schema of their own.
package centraltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// Server is the PostgreSQL the tests use; env EVALHUB_TEST_PG overrides it.
func Server() string {
	if s := os.Getenv("EVALHUB_TEST_PG"); s != "" {
		return s
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Postgres creates a schema with a random name, drops it at cleanup, and
// returns a DSN whose search_path is that schema. When PostgreSQL cannot be
// reached the test is skipped, unless env CI is set: then it fails.
func Postgres(t testing.TB) string {
	t.Helper()
	base := Server()
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		if os.Getenv("CI") != "" {
			t.Fatalf("centraltest: PostgreSQL at %s unreachable and CI is set: %v", base, err)
		}
		t.Skipf("centraltest: PostgreSQL at %s unreachable (%v): skipping; in CI this fails", base, err)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "evalhub_test_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		t.Fatalf("centraltest: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("centraltest: drop schema %s: %v", schema, err)
		}
		db.Close()
	})
	return base + "&search_path=" + schema
}
