using IssueTracker.Web;
using IssueTracker.Web.Services;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.Components.WebAssembly.Hosting;

WebAssemblyHostBuilder builder = WebAssemblyHostBuilder.CreateDefault(args);
builder.RootComponents.Add<App>("#app");
builder.RootComponents.Add<HeadOutlet>("head::after");

// One session (and so one TetherClient) for the whole tab: in WebAssembly a singleton lives as long as the page.
builder.Services.AddSingleton<UserStorage>();
builder.Services.AddSingleton<TetherSession>();

await builder.Build().RunAsync();
