# syntax=docker/dockerfile:1
# The perfgate GitHub Action image. The binary is built by scripts/build.sh,
# the same command as every other build of perfgate.

# The builder runs on the build machine's platform and cross-compiles for the
# image's (TARGETOS/TARGETARCH, set by buildx for each of --platform): a
# multi-arch image without emulating the other architecture.
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH sh scripts/build.sh /out/perfgate "$VERSION"

# Static distroless: CA certificates and tzdata, no shell, about 2 MB.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/perfgate /usr/local/bin/perfgate
# Not root. uid 1001 is the runner user of GitHub-hosted runners, which owns
# the workspace and the files behind GITHUB_OUTPUT and GITHUB_STEP_SUMMARY
# that the runner mounts into the container.
USER 1001:1001
ENTRYPOINT ["perfgate", "action"]
