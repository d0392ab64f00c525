export * from './control-server.js';
export * from './etcd-arguments.js';
export * from './local-cluster.js';
