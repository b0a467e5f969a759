// Tells a .NET object when the browser goes online or offline (the window's 'online' and 'offline' events).
export function isOnline() {
    return navigator.onLine;
}

export function follow(target) {
    const online = () => target.invokeMethodAsync('NetworkChanged', true);
    const offline = () => target.invokeMethodAsync('NetworkChanged', false);
    addEventListener('online', online);
    addEventListener('offline', offline);
    return {
        isOnline: () => navigator.onLine,
        stop: () => {
            removeEventListener('online', online);
            removeEventListener('offline', offline);
        },
    };
}
