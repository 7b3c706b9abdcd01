/**
 * `@grpckit/core/testing`: a kit for testing load-balancing policies without a
 * network. Build your balancer against a fake channel, drive its subchannels' states
 * by hand, and check what its pickers answer. Nothing here depends on a test
 * framework: helpers return data or throw an Error that says what was expected.
 *
 * @example
 * // A trivial policy: always the first endpoint, once it is READY.
 * const firstOnly: BalancerBuilder = {
 *   name: "first_only",
 *   build(cc) {
 *     let sc: Subchannel | undefined;
 *     return {
 *       updateClientConnState({ resolverState }) {
 *         sc ??= cc.createSubchannel(resolverState.endpoints[0].addresses);
 *         const chosen = sc;
 *         chosen.watch((state) => {
 *           if (state === ConnectivityState.READY) {
 *             cc.updateState({ state, picker: constantPicker({ type: "pick", subchannel: chosen }) });
 *           }
 *         });
 *         cc.updateState({ state: ConnectivityState.CONNECTING, picker: constantPicker({ type: "queue" }) });
 *         chosen.connect();
 *       },
 *       resolverError() {},
 *       exitIdle() {},
 *       close() { sc?.shutdown(); },
 *     };
 *   },
 * };
 *
 * const cc = createFakeBalancerClientConn();
 * const balancer = firstOnly.build(cc);
 * balancer.updateClientConnState({
 *   resolverState: { endpoints: [{ addresses: [{ addr: "10.0.0.1:443" }] }] },
 *   config: undefined,
 * });
 * const sc = cc.subchannelFor("10.0.0.1:443");
 * // sc.connectCount === 1; cc.state === ConnectivityState.CONNECTING
 * expectQueues(cc.picker);
 * sc.setState(ConnectivityState.READY);
 * expectAlwaysPicks(cc.picker, sc); // throws if a pick goes elsewhere
 * pickDistribution(cc.picker, 100); // Map { sc => 100 }
 */
export { FakeSubchannel } from "./fake-subchannel.js";
export { createFakeBalancerClientConn, type FakeBalancerClientConn } from "./fake-balancer-client-conn.js";
export { createFakeBuildOptions, type FakeBuildOptions, type RecordedMetric } from "./fake-build-options.js";
export { createPickInfo } from "./pick-info.js";
export { createPickDoneInfo } from "./pick-done-info.js";
export {
  picksOf,
  pickedSubchannels,
  pickDistribution,
  expectAlwaysPicks,
  expectQueues,
  expectFails,
  expectRoundRobin,
} from "./picks.js";
