using Tether.Server;
using Tether.Server.Sqlite;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddTether(o =>
    {
        o.Models.Add("todo");
        o.DevelopmentTokens = builder.Environment.IsDevelopment();   // "Bearer dev:<user>"; set Tether:Jwt:Key for real users
    })
    .AddMutators([new AddTodo()])
    .UseSqlite("todos.db");
var app = builder.Build();
app.MapTether("/sync");
app.Run();
