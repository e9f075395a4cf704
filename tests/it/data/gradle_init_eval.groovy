// Runs awsproxy's Gradle init script (args[0]) against a recorder standing in
// for Gradle's API, and prints every property it sets as `path.name=value`, so
// a test checks what the script does without a Gradle install.
class Recorder {
    List<String> calls
    String path

    Recorder(List<String> calls, String path) {
        this.calls = calls
        this.path = path
    }

    def methodMissing(String name, args) {
        def child = new Recorder(calls, path ? "$path.$name" : name)
        if (args && args[-1] instanceof Closure) {
            Closure c = (Closure) args[-1].clone()
            c.delegate = child
            c.resolveStrategy = Closure.DELEGATE_FIRST
            c.call(child)
        }
        child
    }

    def propertyMissing(String name) {
        new Recorder(calls, path ? "$path.$name" : name)
    }

    def propertyMissing(String name, value) {
        calls << "$path.$name=$value"
    }
}

def calls = []
def root = new Recorder(calls, "")
def binding = new Binding()
// The init script's top-level hooks (any other top-level call fails).
['settingsEvaluated', 'allprojects'].each { hook ->
    binding.setVariable(hook, { Closure c -> root.methodMissing(hook, [c] as Object[]) })
}
new GroovyShell(binding).parse(new File(args[0])).run()
calls.each { println it }
