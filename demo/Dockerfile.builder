# The fat image: the Go toolchain builds a static binary.
FROM golang:1.19-bookworm

WORKDIR /go/src/helloworld
COPY go.mod main.go ./
RUN CGO_ENABLED=0 GOOS=linux go build -ldflags '-w -s' -o /go/bin/helloworld .
