export { PROTOCOL_VERSION } from '@org/ws-protocol';
