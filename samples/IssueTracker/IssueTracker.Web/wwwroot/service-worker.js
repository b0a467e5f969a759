// Tether Issues service worker: keeps this build's static files (the app shell) in Cache Storage so the page opens
// with no network at all; the app's data comes from IndexedDB and the TetherClient. Sync traffic never touches it.
// service-worker-assets.js is written by the Blazor build (ServiceWorkerAssetsManifest): every static asset with its
// SHA-256, and a version that changes whenever one of them does.
self.importScripts('./service-worker-assets.js');

const cachePrefix = 'tether-issues-';
const cacheName = cachePrefix + self.assetsManifest.version;
const cachedExtensions = /\.(dll|pdb|wasm|html|js|json|css|woff2?|png|jpe?g|gif|svg|ico|dat|blat|webmanifest)$/;
const shellUrl = new URL('index.html', self.registration.scope).href;

const assets = self.assetsManifest.assets.filter(asset => cachedExtensions.test(asset.url) && asset.url !== 'service-worker.js');
const assetUrls = new Set(assets.map(asset => new URL(asset.url, self.registration.scope).href));

self.addEventListener('install', event => event.waitUntil(install()));
self.addEventListener('activate', event => event.waitUntil(activate()));
self.addEventListener('fetch', event => {
    const request = event.request;
    if (request.method !== 'GET') {
        return;
    }
    if (request.mode === 'navigate') {
        event.respondWith(networkThenShell(request));
        return;
    }
    const url = new URL(request.url);
    url.search = '';
    url.hash = '';
    if (assetUrls.has(url.href)) {
        event.respondWith(cacheThenNetwork(request, url.href));
    }
    // Anything else (the sync endpoints above all) goes to the network untouched.
});

async function install() {
    const cache = await caches.open(cacheName);
    // Each file is checked against the build's hash, so a half-deployed server cannot poison the cache.
    await Promise.all(assets.map(asset => cache.add(new Request(asset.url, { integrity: asset.hash, cache: 'no-cache' }))));
    await self.skipWaiting();
}

async function activate() {
    const names = await caches.keys();
    await Promise.all(names.filter(name => name.startsWith(cachePrefix) && name !== cacheName).map(name => caches.delete(name)));
    await self.clients.claim();
}

// Pages are fetched fresh when the server answers, so a new deployment shows at once; offline they get the cached shell
// (every route of the app is the same index.html).
async function networkThenShell(request) {
    try {
        return await fetch(request);
    } catch (offline) {
        const shell = await caches.match(shellUrl);
        if (shell) {
            return shell;
        }
        throw offline;
    }
}

// Framework files are fingerprinted and checked by hash at install, so the cached copy is the right one.
async function cacheThenNetwork(request, key) {
    const cached = await caches.match(key);
    return cached ?? fetch(request);
}
