import { createRequire } from 'node:module';
import { createGateway } from './dist/esm/api/gateway/index.js';
import { MqttClient } from './dist/esm/index.js';
const require = createRequire(import.meta.url);
const RPC = require('@alicloud/pop-core');
const OpenApi = require('@alicloud/openapi-client');
const Util = require('@alicloud/tea-util');
const { Aedes } = await import('aedes');
const net = await import('node:net');
const aedes = await Aedes.createBroker();
const broker = net.createServer(aedes.handle);
await new Promise(r => broker.listen(0, '127.0.0.1', r));
const url = `mqtt://127.0.0.1:${broker.address().port}`;
const gw = createGateway({ mqtt: { url }, accessKeys: [{ accessKeyId: 'testid', accessKeySecret: 'testsecret', instances: ['inst-1'] }] });
await new Promise(r => gw.client.once('connect', r) && gw.listen(0).then(a => (globalThis.addr = a)));
await new Promise(r => setTimeout(r, 100));
const sub = new MqttClient({ url }); sub.on('message', m => console.log('got', m.topic, Buffer.from(m.payload).toString()));
sub.connect(); await new Promise(r => sub.once('connect', r)); await new Promise(r => sub.subscribe([{ topic: 'a/#', qos: 1 }], r));
const endpoint = `http://127.0.0.1:${globalThis.addr.port}`;
const pop = new RPC({ accessKeyId: 'testid', accessKeySecret: 'testsecret', endpoint, apiVersion: '2020-04-20' });
console.log(await pop.request('SendMessage', { InstanceId: 'inst-1', MqttTopic: 'a/b', Payload: 'hello GET' }));
console.log(await pop.request('SendMessage', { InstanceId: 'inst-1', MqttTopic: 'a/b', Payload: 'hello POST' }, { method: 'POST' }));
try { await pop.request('SendMessage', { InstanceId: 'inst-2', MqttTopic: 'a/b', Payload: 'x' }); } catch (e) { console.log('err', e.code, e.data) }
for (const sig of [undefined, 'v2']) {
  const config = new OpenApi.Config({ accessKeyId: 'testid', accessKeySecret: 'testsecret', endpoint: `127.0.0.1:${globalThis.addr.port}`, protocol: 'http', ...(sig ? { signatureAlgorithm: sig } : {}) });
  const tea = new OpenApi.default(config);
  const params = new OpenApi.Params({ action: 'SendMessage', version: '2020-04-20', protocol: 'HTTP', pathname: '/', method: 'POST', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json' });
  try { console.log('tea', sig, (await tea.callApi(params, new OpenApi.OpenApiRequest({ query: { InstanceId: 'inst-1', MqttTopic: 'a/tea', Payload: 'tea ' + sig } }), new Util.RuntimeOptions({}))).body); } catch (e) { console.log('tea err', e.code, e.message) }
  try { await tea.callApi(params, new OpenApi.OpenApiRequest({ query: { InstanceId: 'inst-2', MqttTopic: 'a/tea', Payload: 'x' } }), new Util.RuntimeOptions({})); } catch (e) { console.log('tea err', e.code, e.statusCode) }
}
await new Promise(r => setTimeout(r, 200));
const m = await fetch(endpoint + '/metrics'); console.log((await m.text()).split('\n').filter(l => l.includes('requests_total{')).join('\n'));
await gw.close(); sub.destroy(); broker.close(); aedes.close();
