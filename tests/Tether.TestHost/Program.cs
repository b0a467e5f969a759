using Tether.TestHost;

// The test model's server as a process of its own, for the tests that kill it (SIGKILL) and start it again on the
// same file: dotnet Tether.TestHost.dll --urls http://127.0.0.1:PORT --data FILE [--environment Testing --Tether:DevelopmentTokens true]
// (development tokens are refused in Production, the default environment).
WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.AddTestModel();
WebApplication app = builder.Build();
app.MapTestModel();
app.Run();
