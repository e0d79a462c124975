// Generated messages and services, one namespace per protobuf package.
export * as eventing from './gen/aman/eventing/v1/eventing.ts';
