package main

import "fmt"

// Greeting returns the line the program prints.
func Greeting(name string) string {
	return fmt.Sprintf("hello, %s!", name)
}

func main() {
	fmt.Println(Greeting("weld"))
}
