FROM golang:1.19-bookworm
WORKDIR /src
COPY src/ .
RUN CGO_ENABLED=0 go build -o /out/hello .
