package main

import "testing"

func TestGreeting(t *testing.T) {
	if got := Greeting("weld"); got != "hello, weld!" {
		t.Fatalf("Greeting(weld) = %q", got)
	}
}
