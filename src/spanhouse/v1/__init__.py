"""Generated gRPC code of proto/spanhouse/v1 (`make grpc-stubs`); do not edit."""
